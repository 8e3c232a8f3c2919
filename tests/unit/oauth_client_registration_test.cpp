#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/oauth/client_metadata_documents.hpp"
#include "api/oauth/client_registration.hpp"
#include "common/auth/redirect_uri.hpp"

namespace oauth = gpt_adapter::api::oauth;
namespace auth = gpt_adapter::auth;
namespace json = boost::json;

namespace {

const auth::scope_set grantable{"memories:read", "memories:write"};

auto parse(const std::string& text) {
  return oauth::parse_client_metadata(json::parse(text).as_object(), "MCP client",
                                      "client_secret_basic", grantable);
}

std::string error_of(const std::string& text) {
  const auto parsed = parse(text);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().error;
}

}  // namespace

TEST_CASE("oauth client registration: metadata within what the server supports",
          "[oauth][registration]") {
  const auto minimal = parse(R"({"redirect_uris":["http://127.0.0.1:33418/callback"]})");
  REQUIRE(minimal.ok());
  CHECK(minimal->client_name == "MCP client");
  CHECK(minimal->token_endpoint_auth_method == "client_secret_basic");
  CHECK(minimal->scopes == grantable);

  const auto full = parse(R"({"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],
      "client_name":"Claude","token_endpoint_auth_method":"none",
      "grant_types":["authorization_code","refresh_token"],"response_types":["code"],
      "scope":"memories:read","application_type":"web","logo_uri":"https://x.example/l.png"})");
  REQUIRE(full.ok());
  CHECK(full->client_name == "Claude");
  CHECK(full->token_endpoint_auth_method == "none");
  CHECK(full->scopes == auth::scope_set{"memories:read"});

  CHECK(error_of(R"({})") == "invalid_redirect_uri");
  CHECK(error_of(R"({"redirect_uris":[]})") == "invalid_redirect_uri");
  CHECK(error_of(R"({"redirect_uris":["http://evil.example/cb"]})") == "invalid_redirect_uri");
  CHECK(error_of(R"({"redirect_uris":["https://chatgpt.com/aip/*/oauth/callback"]})") ==
        "invalid_redirect_uri");
  CHECK(error_of(R"({"redirect_uris":["https://a.example/cb#x"]})") == "invalid_redirect_uri");
  CHECK(error_of(R"({"redirect_uris":[1]})") == "invalid_redirect_uri");
  const std::string ok_uris = R"("redirect_uris":["https://a.example/cb"])";
  CHECK(error_of("{" + ok_uris + R"(,"token_endpoint_auth_method":"private_key_jwt"})") ==
        "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"grant_types":["client_credentials"]})") ==
        "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"response_types":["token"]})") == "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"scope":"admin"})") == "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"scope":5})") == "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"client_name":""})") == "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"client_name":")" + std::string(101, 'n') + R"("})") ==
        "invalid_client_metadata");
  CHECK(error_of("{" + ok_uris + R"(,"application_type":"desktop"})") == "invalid_client_metadata");
}

TEST_CASE("oauth redirect URIs: what may be registered", "[oauth][registration]") {
  CHECK_FALSE(auth::redirect_uri_registration_problem("https://chatgpt.com/aip/*/oauth/callback"));
  CHECK_FALSE(auth::redirect_uri_registration_problem("http://localhost:6274/oauth/callback"));
  CHECK_FALSE(auth::redirect_uri_registration_problem("http://[::1]:80/cb"));
  CHECK(auth::redirect_uri_registration_problem("http://example.com/cb"));
  CHECK(auth::redirect_uri_registration_problem("https://user@example.com/cb"));
  CHECK(auth::redirect_uri_registration_problem("https://example.com:99999/cb"));
  CHECK(auth::redirect_uri_registration_problem("https://example.com/*/cb"));
  CHECK(auth::redirect_uri_registration_problem("myapp://callback"));
}

TEST_CASE("oauth client metadata documents: the URL form and the document's own checks",
          "[oauth][registration]") {
  CHECK(oauth::is_client_metadata_url("https://claude.ai/oauth/mcp-client-metadata.json"));
  CHECK(oauth::is_client_metadata_url("https://127.0.0.1:8443/client.json"));
  CHECK_FALSE(oauth::is_client_metadata_url("http://claude.ai/client.json"));
  CHECK_FALSE(oauth::is_client_metadata_url("https://claude.ai"));
  CHECK_FALSE(oauth::is_client_metadata_url("https://claude.ai/"));
  CHECK_FALSE(oauth::is_client_metadata_url("https://user@claude.ai/c.json"));
  CHECK_FALSE(oauth::is_client_metadata_url("https://claude.ai/c.json#x"));
  CHECK_FALSE(oauth::is_client_metadata_url("https://claude.ai/a/../c.json"));
  CHECK_FALSE(oauth::is_client_metadata_url("https://claude.ai/a c.json"));
  CHECK_FALSE(oauth::is_client_metadata_url("gpta_abc"));

  const std::string url = "https://app.example/client.json";
  const auto document = [&](const std::string& extra) {
    return R"({"client_id":")" + url +
           R"(","client_name":"Example","redirect_uris":["https://app.example/cb"])" + extra + "}";
  };
  const auto parsed = oauth::parse_client_metadata_document(document(""), url);
  REQUIRE(parsed.ok());
  CHECK(parsed->client_name == "Example");
  CHECK(parsed->token_endpoint_auth_method == "none");
  CHECK_FALSE(oauth::parse_client_metadata_document(document(""), url + "?x").ok());
  CHECK_FALSE(oauth::parse_client_metadata_document("[]", url).ok());
  CHECK_FALSE(
      oauth::parse_client_metadata_document(
          R"({"client_id":")" + url + R"(","redirect_uris":["https://app.example/cb"]})", url)
          .ok());
  CHECK_FALSE(oauth::parse_client_metadata_document(
                  document(R"(,"token_endpoint_auth_method":"client_secret_basic")"), url)
                  .ok());
  CHECK_FALSE(oauth::parse_client_metadata_document(
                  R"({"client_id":")" + url + R"(","client_name":"E","redirect_uris":[]})", url)
                  .ok());
}
