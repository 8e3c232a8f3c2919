#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "api/api_settings.hpp"
#include "api/oauth/token_issuer.hpp"
#include "common/auth/signing_key.hpp"
#include "tests/support/api_settings_input.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_keys.hpp"

using namespace gpt_adapter;
using testing::api_settings_error;
using testing::check_refused_naming_variable;
using testing::minimal_api_environment;
using testing::read_api_settings_from;

namespace {

std::string write_file(const testing::temp_dir& dir, const std::string& name,
                       const std::string& text) {
  const auto path = dir.path() / name;
  std::ofstream(path) << text;
  return path.string();
}

std::string public_pem_of(const std::string& private_pem, auth::signing_algorithm algorithm) {
  return auth::signing_key::from_private_pem("x", algorithm, private_pem).public_key_pem();
}

}  // namespace

TEST_CASE("OAuth settings: defaults from the seeds and the public base URL", "[config][oauth]") {
  auto values = minimal_api_environment();
  values["API_PORT"] = "8123";
  const auto settings = read_api_settings_from(values);
  CHECK(settings.oauth.public_base_url == "http://localhost:8123");
  CHECK(settings.signing.issuer == "http://localhost:8123");
  CHECK(settings.signing.audience == settings.signing.issuer);
  CHECK(settings.oauth.refresh_token_lifetime == std::chrono::days(30));
  CHECK(settings.oauth.refresh_token_idle_timeout == std::chrono::days(14));
  CHECK(settings.oauth.authorization_code_lifetime == std::chrono::seconds(60));
  REQUIRE(settings.signing.keys);
  CHECK(settings.signing.keys->active().algorithm() == auth::signing_algorithm::hs256);
  CHECK(settings.signing.keys->active().kid() == "hs256");

  values["PUBLIC_BASE_URL"] = "https://gpt.example.com/";
  values["JWT_AUDIENCE"] = "https://gpt.example.com/api";
  const auto configured = read_api_settings_from(values);
  CHECK(configured.oauth.public_base_url == "https://gpt.example.com");
  CHECK(configured.signing.issuer == "https://gpt.example.com");
  CHECK(configured.signing.audience == "https://gpt.example.com/api");
}

TEST_CASE("OAuth settings: a blank JWT_AUDIENCE is the issuer, never an empty audience",
          "[config][oauth]") {
  auto values = minimal_api_environment();
  values["JWT_ISSUER"] = "https://issuer.example.com";
  for (const auto* blank : {"", "   ", "\t"}) {
    values["JWT_AUDIENCE"] = blank;
    INFO("JWT_AUDIENCE='" << blank << "'");
    const auto settings = read_api_settings_from(values);
    CHECK(settings.signing.audience == "https://issuer.example.com");
  }
}

TEST_CASE("OAuth settings name the variable that is wrong", "[config][oauth]") {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"PUBLIC_BASE_URL", "ftp://example.com"},
      {"PUBLIC_BASE_URL", "https://example.com/?x=1"},
      {"JWT_ISSUER", "not a url"},
      {"REFRESH_TOKEN_LIFETIME_DAYS", "0"},
      {"REFRESH_TOKEN_IDLE_DAYS", "400"},
      {"AUTHORIZATION_CODE_LIFETIME_SECONDS", "601"},
      {"AUTHORIZATION_CODE_LIFETIME_SECONDS", "0"},
      {"OAUTH_CLIENT_ATTEMPTS_PER_MINUTE", "0"},
      {"OAUTH_ADDRESS_ATTEMPTS_PER_MINUTE", "x"},
      {"SECRET_CHECK_THREADS", "0"},
      {"JWT_KEY_ID", "has space"},
      {"JWT_ALGORITHM", "none"},
      {"JWT_VERIFY_ONLY_KEY_FILES", "no-equals-sign"},
      {"JWT_VERIFY_ONLY_KEY_FILES", "old=/nonexistent/key.pem"},
  };
  check_refused_naming_variable(bad);
  auto values = minimal_api_environment();
  values["REFRESH_TOKEN_LIFETIME_DAYS"] = "7";
  values["REFRESH_TOKEN_IDLE_DAYS"] = "8";
  CHECK_THAT(api_settings_error(values), Catch::Contains("REFRESH_TOKEN_IDLE_DAYS"));
}

TEST_CASE("OAuth settings: RS256 and ES256 from PEM files, with verify-only keys for rotation",
          "[config][oauth]") {
  testing::temp_dir dir("oauth-settings");
  const auto rsa = testing::generate_rsa_private_key_pem();
  const auto ec = testing::generate_ec_private_key_pem();
  const auto next_ec = testing::generate_ec_private_key_pem();

  auto values = minimal_api_environment();
  values.erase("JWT_SECRET_KEY");
  values["JWT_ALGORITHM"] = "RS256";
  CHECK_THAT(api_settings_error(values), Catch::Contains("JWT_PRIVATE_KEY_FILE is required"));
  values["JWT_PRIVATE_KEY_FILE"] = write_file(dir, "ec.pem", ec);
  CHECK_THAT(api_settings_error(values), Catch::Contains("JWT_PRIVATE_KEY_FILE"));
  values["JWT_PRIVATE_KEY_FILE"] = write_file(dir, "rsa.pem", rsa);
  const auto rs256 = read_api_settings_from(values);
  CHECK(rs256.signing.keys->active().algorithm() == auth::signing_algorithm::rs256);
  CHECK(rs256.signing.keys->active().kid().starts_with("rs256-"));
  // The same file gives the same kid on every replica.
  CHECK(read_api_settings_from(values).signing.keys->active().kid() ==
        rs256.signing.keys->active().kid());

  values["JWT_ALGORITHM"] = "ES256";
  values["JWT_PRIVATE_KEY_FILE"] = write_file(dir, "ec.pem", ec);
  values["JWT_KEY_ID"] = "ec-2026";
  values["JWT_SECRET_KEY"] = std::string(40, 's');
  values["JWT_VERIFY_ONLY_KEY_FILES"] =
      "next=" +
      write_file(dir, "next.pub", public_pem_of(next_ec, auth::signing_algorithm::es256)) +
      ", old-rsa=" + write_file(dir, "old.pub", public_pem_of(rsa, auth::signing_algorithm::rs256));
  const auto es256 = read_api_settings_from(values);
  const auto& keys = *es256.signing.keys;
  CHECK(keys.active().kid() == "ec-2026");
  CHECK(keys.active().algorithm() == auth::signing_algorithm::es256);
  REQUIRE(keys.find("next") != nullptr);
  CHECK_FALSE(keys.find("next")->can_sign());
  REQUIRE(keys.find("old-rsa") != nullptr);
  CHECK(keys.find("old-rsa")->algorithm() == auth::signing_algorithm::rs256);
  // The HMAC secret still verifies what it signed before the switch, and is never published.
  REQUIRE(keys.find("hs256") != nullptr);
  CHECK(keys.jwks_json().find("\"hs256\"") == std::string::npos);
  CHECK(keys.jwks_json().find("\"next\"") != std::string::npos);

  values["JWT_VERIFY_ONLY_KEY_FILES"] =
      "ec-2026=" +
      write_file(dir, "dup.pub", public_pem_of(next_ec, auth::signing_algorithm::es256));
  CHECK_THAT(api_settings_error(values), Catch::Contains("JWT_VERIFY_ONLY_KEY_FILES"));
  values["JWT_VERIFY_ONLY_KEY_FILES"] = "bad=" + write_file(dir, "private.pem", ec);
  CHECK_THAT(api_settings_error(values), Catch::Contains("JWT_VERIFY_ONLY_KEY_FILES"));
}

TEST_CASE("OAuth token issuer: issues tokens its own keys verify, pinned to issuer and audience",
          "[oauth]") {
  auto values = minimal_api_environment();
  const auto settings = read_api_settings_from(values);
  const api::oauth::token_issuer issuer(
      settings.signing.keys, {.issuer = "https://a.example", .audience = "https://a.example/api"},
      std::chrono::minutes(60));
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto issued = issuer.issue("user-1", "gpta_client", {"memories:read"}, 3, now);
  CHECK(issued.claims.expires_at == now + std::chrono::hours(1));
  const auto verified = issuer.verify(issued.token, now);
  REQUIRE(verified);
  CHECK(verified.value() == issued.claims);
  CHECK_FALSE(issuer.verify(issued.token, now + std::chrono::hours(2)));

  const api::oauth::token_issuer other(
      settings.signing.keys, {.issuer = "https://b.example", .audience = "https://a.example/api"},
      std::chrono::minutes(60));
  CHECK_FALSE(other.verify(issued.token, now));
  CHECK(issuer.jwks_json() == "{\"keys\":[]}");
}
