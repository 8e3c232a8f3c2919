#include "common/auth/token_endpoint_request.hpp"

#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "common/auth/base64.hpp"

using namespace gpt_adapter::auth;

namespace {

constexpr std::string_view form = "application/x-www-form-urlencoded";

std::string basic(std::string_view credentials) {
  return "Basic " + encode_base64(credentials, base64_alphabet::standard) +
         std::string((3 - credentials.size() % 3) % 3, '=');
}

// "ok" or the error code: readable in a failed CHECK.
std::string outcome(std::string_view content_type, std::string_view body,
                    std::optional<std::string_view> authorization = std::nullopt) {
  const auto parsed = parse_token_request(content_type, body, authorization);
  return parsed ? "ok" : std::string(oauth_error_name(parsed.error().code));
}

}  // namespace

TEST_CASE("auth token_request: form_url_decode handles escapes and '+' as a space",
          "[token_request]") {
  CHECK(form_url_decode("a+b%20c%2Bd%25") == "a b c+d%");
  CHECK(form_url_decode("%e2%82%AC") == "\xe2\x82\xac");
  CHECK(form_url_decode("") == "");
  CHECK_FALSE(form_url_decode("%"));
  CHECK_FALSE(form_url_decode("%2"));
  CHECK_FALSE(form_url_decode("abc%2"));
  CHECK_FALSE(form_url_decode("%zz"));
  CHECK_FALSE(form_url_decode("%+1"));
}

TEST_CASE("auth token_request: a ChatGPT code exchange with client_secret_post parses",
          "[token_request]") {
  const auto parsed = parse_token_request(
      form,
      "grant_type=authorization_code&code=abc-123&redirect_uri=https%3A%2F%2Fchatgpt.com%2Faip%2F"
      "g-1%2Foauth%2Fcallback&client_id=client-1&client_secret=s3cr%2Bt+x",
      std::nullopt);
  REQUIRE(parsed);
  CHECK(parsed->grant == grant_type::authorization_code);
  CHECK(parsed->code == "abc-123");
  CHECK(parsed->redirect_uri == "https://chatgpt.com/aip/g-1/oauth/callback");
  CHECK(parsed->client_id == "client-1");
  CHECK(parsed->client_secret == "s3cr+t x");
  CHECK(parsed->auth_method == client_auth_method::post);
  CHECK(parsed->code_verifier.empty());
  CHECK_FALSE(parsed->scope);
}

TEST_CASE(
    "auth token_request: a refresh with client_secret_basic parses, with urlencoded credentials",
    "[token_request]") {
  const auto header = basic("client%3A1:p%40ss+word%3A");
  const auto parsed = parse_token_request("application/x-www-form-urlencoded; charset=UTF-8",
                                          "grant_type=refresh_token&refresh_token=rt-1", header);
  REQUIRE(parsed);
  CHECK(parsed->grant == grant_type::refresh_token);
  CHECK(parsed->refresh_token == "rt-1");
  CHECK(parsed->client_id == "client:1");
  CHECK(parsed->client_secret == "p@ss word:");
  CHECK(parsed->auth_method == client_auth_method::basic);
}

TEST_CASE("auth token_request: Basic credentials are accepted padded or not, with any scheme case",
          "[token_request]") {
  const std::string body = "grant_type=client_credentials";
  const auto unpadded = "Basic " + encode_base64("client-1:secret1", base64_alphabet::standard);
  REQUIRE(basic("client-1:secret1") != unpadded);
  CHECK(outcome(form, body, basic("client-1:secret1")) == "ok");
  CHECK(outcome(form, body, unpadded) == "ok");
  CHECK(outcome(form, body, "basic " + encode_base64("c:s", base64_alphabet::standard)) == "ok");
  CHECK(outcome(form, body, "BASIC  " + encode_base64("c:s", base64_alphabet::standard)) == "ok");
}

TEST_CASE("auth token_request: a public client names itself with client_id only",
          "[token_request]") {
  const auto parsed = parse_token_request(
      form, "grant_type=authorization_code&code=c&client_id=public-1&code_verifier=v",
      std::nullopt);
  REQUIRE(parsed);
  CHECK(parsed->auth_method == client_auth_method::none);
  CHECK(parsed->client_secret.empty());
  CHECK(parsed->code_verifier == "v");
}

TEST_CASE("auth token_request: an empty scope is distinguishable from an absent one",
          "[token_request]") {
  const auto empty =
      parse_token_request(form, "grant_type=client_credentials&scope=", basic("client-1:secret"));
  REQUIRE(empty);
  REQUIRE(empty->scope);
  CHECK(empty->scope->empty());

  const auto given = parse_token_request(
      form, "grant_type=client_credentials&scope=memories%3Aread+memories%3Awrite",
      basic("client-1:secret"));
  REQUIRE(given);
  CHECK(given->scope == "memories:read memories:write");

  const auto absent =
      parse_token_request(form, "grant_type=client_credentials", basic("client-1:secret"));
  REQUIRE(absent);
  CHECK_FALSE(absent->scope);
}

TEST_CASE("auth token_request: a JSON body parses like a form", "[token_request]") {
  const auto parsed = parse_token_request(
      "application/json",
      R"({"grant_type":"client_credentials","client_id":"client-1","client_secret":"s","scope":"","extra":1})",
      std::nullopt);
  REQUIRE(parsed);
  CHECK(parsed->grant == grant_type::client_credentials);
  CHECK(parsed->auth_method == client_auth_method::post);
  CHECK(parsed->scope == "");
  CHECK(outcome("application/json; charset=utf-8",
                R"({"grant_type":"client_credentials","client_id":"c","client_secret":"s"})") ==
        "ok");
}

TEST_CASE("auth token_request: a JSON body must be an object of strings", "[token_request]") {
  CHECK(outcome("application/json", R"({"grant_type":"client_credentials","client_id":1})") ==
        "invalid_request");
  CHECK(outcome("application/json", R"(["grant_type"])") == "invalid_request");
  CHECK(outcome("application/json", R"({"grant_type":)") == "invalid_request");
  CHECK(outcome("application/json", "") == "invalid_request");
  const auto nested = std::string(10000, '[') + std::string(10000, ']');
  CHECK_NOTHROW(parse_token_request("application/json", nested, std::nullopt));
  CHECK(outcome("application/json", nested) == "invalid_request");
}

TEST_CASE("auth token_request: other media types are refused", "[token_request]") {
  const std::string body = "grant_type=client_credentials&client_id=c&client_secret=s";
  CHECK(outcome("text/plain", body) == "invalid_request");
  CHECK(outcome("", body) == "invalid_request");
  CHECK(outcome("multipart/form-data; boundary=x", body) == "invalid_request");
  CHECK(outcome("Application/X-WWW-Form-Urlencoded", body) == "ok");
}

TEST_CASE("auth token_request: credentials in both the header and the body are refused",
          "[token_request]") {
  const auto header = basic("client-1:secret");
  const auto both = parse_token_request(
      form, "grant_type=client_credentials&client_id=client-1&client_secret=secret", header);
  REQUIRE_FALSE(both);
  CHECK(both.error().code == oauth_error_code::invalid_request);
  CHECK(outcome(form, "grant_type=client_credentials&client_secret=secret", header) ==
        "invalid_request");
  // A client_id repeated in the body is allowed only when it is the same client.
  CHECK(outcome(form, "grant_type=client_credentials&client_id=client-1", header) == "ok");
  CHECK(outcome(form, "grant_type=client_credentials&client_id=client-2", header) ==
        "invalid_request");
}

TEST_CASE("auth token_request: a duplicated parameter is refused", "[token_request]") {
  CHECK(outcome(form, "grant_type=client_credentials&client_id=c&client_id=c") ==
        "invalid_request");
  CHECK(outcome(form, "grant_type=client_credentials&grant_type=client_credentials&client_id=c") ==
        "invalid_request");
  CHECK(outcome(form, "grant_type=client_credentials&client_id=c&scope=&scope=memories%3Aread") ==
        "invalid_request");
  // The percent-decoded name counts.
  CHECK(outcome(form, "grant_type=client_credentials&client_id=c&client%5Fid=c") ==
        "invalid_request");
  const auto duplicated =
      parse_token_request(form, "grant_type=client_credentials&client_id=c&x=1&x=2", std::nullopt);
  REQUIRE_FALSE(duplicated);
  CHECK(duplicated.error().description.find('x') == std::string::npos);
}

TEST_CASE("auth token_request: grant_type is required and must be supported", "[token_request]") {
  const auto header = basic("client-1:secret");
  CHECK(outcome(form, "", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=", header) == "invalid_request");
  CHECK(outcome(form, "code=abc", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=password&username=u&password=p", header) ==
        "unsupported_grant_type");
  CHECK(outcome(form, "grant_type=implicit", header) == "unsupported_grant_type");
  CHECK(outcome(form, "grant_type=Client_Credentials", header) == "unsupported_grant_type");
}

TEST_CASE("auth token_request: each grant requires its own parameters", "[token_request]") {
  const auto header = basic("client-1:secret");
  CHECK(outcome(form, "grant_type=authorization_code&redirect_uri=x", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=authorization_code&code=", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=refresh_token", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=refresh_token&refresh_token=", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=client_credentials", header) == "ok");
}

TEST_CASE("auth token_request: malformed client authentication is invalid_client",
          "[token_request]") {
  const std::string body = "grant_type=client_credentials";
  CHECK(outcome(form, body) == "invalid_client");
  CHECK(outcome(form, body + "&client_secret=s") == "invalid_client");
  CHECK(outcome(form, body, "Bearer abc") == "invalid_client");
  CHECK(outcome(form, body, "Basic") == "invalid_client");
  CHECK(outcome(form, body, "Basic !!!") == "invalid_client");
  CHECK(outcome(form, body, basic("no-colon")) == "invalid_client");
  CHECK(outcome(form, body, basic(":secret")) == "invalid_client");
  CHECK(outcome(form, body, basic("client%zz:secret")) == "invalid_client");
  CHECK(outcome(form, body, basic("client:se%0Acret")) == "invalid_client");
  CHECK(outcome(form, body, "") == "invalid_client");
  const auto parsed = parse_token_request(form, body, std::nullopt);
  REQUIRE_FALSE(parsed);
  CHECK(oauth_error_status(parsed.error().code) == 401);
}

TEST_CASE("auth token_request: undecodable escapes and control characters are refused",
          "[token_request]") {
  const auto header = basic("client-1:secret");
  CHECK(outcome(form, "grant_type=client_credentials&scope=%zz", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=client_credentials&scope=a%", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=authorization_code&code=a%00b", header) == "invalid_request");
  CHECK(outcome(form, "grant_type=authorization_code&code=a%0D%0Ab", header) == "invalid_request");
  CHECK(outcome("application/json",
                "{\"grant_type\":\"authorization_code\",\"code\":\"a\\u0000b\"}",
                header) == "invalid_request");
  // Unknown parameters are ignored, whatever they hold.
  CHECK(outcome(form, "grant_type=client_credentials&state=%00", header) == "ok");
}

TEST_CASE("auth token_request: empty pairs and valueless parameters are tolerated",
          "[token_request]") {
  const auto parsed = parse_token_request(
      form, "&grant_type=refresh_token&&refresh_token=rt&code_verifier&", basic("c:s"));
  REQUIRE(parsed);
  CHECK(parsed->refresh_token == "rt");
  CHECK(parsed->code_verifier.empty());
}

TEST_CASE("auth token_request: error codes have their RFC 6749 names and statuses",
          "[token_request]") {
  CHECK(oauth_error_name(oauth_error_code::invalid_request) == "invalid_request");
  CHECK(oauth_error_name(oauth_error_code::invalid_client) == "invalid_client");
  CHECK(oauth_error_name(oauth_error_code::invalid_grant) == "invalid_grant");
  CHECK(oauth_error_name(oauth_error_code::unauthorized_client) == "unauthorized_client");
  CHECK(oauth_error_name(oauth_error_code::unsupported_grant_type) == "unsupported_grant_type");
  CHECK(oauth_error_name(oauth_error_code::invalid_scope) == "invalid_scope");
  CHECK(oauth_error_status(oauth_error_code::invalid_client) == 401);
  CHECK(oauth_error_status(oauth_error_code::invalid_grant) == 400);
  CHECK(grant_type_name(grant_type::client_credentials) == "client_credentials");
}
