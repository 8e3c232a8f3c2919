#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/api_stack.hpp"
#include "tests/support/node_checks.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_keys.hpp"

using namespace gpt_adapter::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path client_dir = fs::path(GPT_ADAPTER_SOURCE_DIR) / "tests" / "oauth4webapi";

}  // namespace

// tests/oauth4webapi/oauth-client.mjs drives every flow through oauth4webapi on Node.js, with RS256
// access tokens so that it can validate them against the JWKS as a resource server does.
TEST_CASE(
    "OAuth: the strict client library oauth4webapi completes discovery, both client "
    "authentication methods, the code flow with and without PKCE, refresh rotation, revocation, "
    "introspection and JWKS validation of the access tokens",
    "[integration][oauth]") {
  INFO("oauth4webapi is not installed: run scripts/install-deps.sh (npm ci in "
       << client_dir.string() << ")");
  REQUIRE(fs::exists(client_dir / "node_modules" / "oauth4webapi" / "package.json"));
  temp_dir keys("oauth4webapi-keys");
  const auto key_file = keys.path() / "rs.pem";
  std::ofstream(key_file) << generate_rsa_private_key_pem();

  api_stack fixture({.api = false});
  fixture.start_api({{"JWT_ALGORITHM", "RS256"},
                     {"JWT_PRIVATE_KEY_FILE", key_file.string()},
                     {"JWT_KEY_ID", "rs-1"}});
  const auto basic_client = fixture.insert_application("Basic GPT", "memories:read,memories:write");
  const auto post_client = fixture.insert_application("Post GPT", "memories:read,memories:write");
  fixture.insert_end_user("frank", "frank's long password");
  const auto metadata =
      http_get(fixture.port(), "/.well-known/oauth-authorization-server").json().as_object();
  const auto issuer = json_text(metadata, "issuer");
  REQUIRE(!issuer.empty());

  temp_dir run("oauth4webapi-run");
  child_process client({.argv = {"/usr/bin/node", (client_dir / "oauth-client.mjs").string()},
                        .environment = {{"ISSUER", issuer},
                                        {"CLIENT_ID", basic_client.client_id},
                                        {"CLIENT_SECRET", basic_client.client_secret},
                                        {"POST_CLIENT_ID", post_client.client_id},
                                        {"POST_CLIENT_SECRET", post_client.client_secret},
                                        {"REDIRECT_URI", chatgpt_callback},
                                        {"USERNAME", "frank"},
                                        {"PASSWORD", "frank's long password"}},
                        .output_file = run.path() / "output.log"});
  const auto status = client.wait_exit(120s);
  const auto output = client.output();
  INFO(output);

  // Every check the script makes, by name, must have run and passed.
  auto checks = node_check_results(output);
  for (const auto* name :
       {"discovery", "client_credentials client_secret_basic",
        "client_credentials client_secret_post", "client_credentials with a wrong secret",
        "code flow with PKCE S256 (client_secret_basic)",
        "code flow without PKCE (client_secret_post)",
        "PKCE plain is refused at the authorization endpoint", "refresh rotation",
        "another client cannot use the refresh token",
        "introspection of an active refresh token and access token",
        "reuse of a rotated refresh token", "reuse revoked the whole family",
        "revocation (client_secret_post)", "a revoked refresh token is refused",
        "a tampered access token fails JWKS validation"}) {
    INFO(name);
    CHECK(checks.count(name) == 1);
    CHECK(checks[name]);
  }
  CHECK(status == 0);
  // Nothing the server logged contains a client's secret.
  CHECK(fixture.api->output().find(basic_client.client_secret) == std::string::npos);
  CHECK(fixture.api->output().find(post_client.client_secret) == std::string::npos);
}
