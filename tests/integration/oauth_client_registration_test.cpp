#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/auth/pkce.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/oauth_browser.hpp"

using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

const std::string loopback_callback = "http://127.0.0.1:33418/callback";

http_reply register_client(const api_stack& stack, const std::string& body) {
  return http_request(stack.port(), {.method = bhttp::verb::post,
                                     .target = "/oauth/register",
                                     .body = body,
                                     .headers = {{"Content-Type", "application/json"}}});
}

http_reply mcp_list(const api_stack& stack, const std::string& token) {
  return http_request(stack.port(), {.method = bhttp::verb::post,
                                     .target = "/mcp",
                                     .body = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
                                     .headers = {{"Authorization", "Bearer " + token},
                                                 {"Content-Type", "application/json"},
                                                 {"Accept", "application/json, text/event-stream"},
                                                 {"MCP-Protocol-Version", "2025-11-25"}}});
}

}  // namespace

TEST_CASE("oauth registration: off unless an operator enables it", "[integration][oauth]") {
  memory_stack stack({}, false);
  CHECK(register_client(stack, R"({"redirect_uris":["http://127.0.0.1:1/cb"]})").status == 404);
  const auto metadata =
      http_get(stack.port(), "/.well-known/oauth-authorization-server").json().as_object();
  CHECK_FALSE(metadata.contains("registration_endpoint"));
  CHECK(metadata.at("token_endpoint_auth_methods_supported") ==
        json::array{"client_secret_basic", "client_secret_post"});
}

TEST_CASE(
    "oauth registration: a public MCP client registers itself (RFC 7591), signs a user in with "
    "PKCE alone, reaches /mcp, and an operator sees and disables it",
    "[integration][oauth][mcp]") {
  memory_stack stack(
      {{"OAUTH_DYNAMIC_CLIENT_REGISTRATION", "true"}, {"OAUTH_REGISTERED_CLIENT_RATE_LIMIT", "50"}},
      false);
  const auto metadata =
      http_get(stack.port(), "/.well-known/oauth-authorization-server").json().as_object();
  CHECK(metadata.at("registration_endpoint") == "https://gpt.example.com/oauth/register");
  CHECK(metadata.at("token_endpoint_auth_methods_supported").as_array().size() == 3);

  const auto refused = register_client(stack, R"({"redirect_uris":["http://evil.example/cb"]})");
  CHECK(refused.status == 400);
  CHECK(refused.json().at("error") == "invalid_redirect_uri");
  CHECK(register_client(stack, "not json").json().at("error") == "invalid_client_metadata");

  const auto registered = register_client(
      stack, R"({"redirect_uris":[")" + loopback_callback +
                 R"("],"client_name":"Inspector","token_endpoint_auth_method":"none"})");
  REQUIRE(registered.status == 201);
  const auto client = registered.json().as_object();
  const auto client_id = json_text(client, "client_id");
  CHECK(client_id.starts_with("gptr_"));
  CHECK_FALSE(client.contains("client_secret"));
  CHECK(client.at("token_endpoint_auth_method") == "none");

  // The operator sees it, with how it registered.
  const auto listed = stack.admin_json({"app", "show", client_id}).as_object();
  CHECK(listed.at("registration") == "dynamic");
  CHECK(listed.at("public_client") == true);
  CHECK(listed.at("name") == "Inspector");
  CHECK(listed.at("rate_limit_per_minute") == 50);

  const auto authorize = [&](form_fields extra) {
    form_fields query{{"response_type", "code"},
                      {"client_id", client_id},
                      {"redirect_uri", loopback_callback},
                      {"state", "s1"},
                      {"scope", "memories:read memories:write"}};
    query.insert(query.end(), extra.begin(), extra.end());
    return open_authorize_page(stack.port(), form(query));
  };
  // A public client has nothing but PKCE to bind the code to it.
  const auto without_pkce = authorize(form_fields{});
  CHECK(without_pkce.page.status == 303);
  CHECK(query_of(without_pkce.page.header("location")).at("error") == "invalid_request");

  const std::string verifier = "a-verifier-of-the-public-client-that-is-long-enough-43";
  const auto browser =
      authorize(form_fields{{"code_challenge", auth::s256_code_challenge(verifier)},
                            {"code_challenge_method", "S256"},
                            {"resource", memory_stack_mcp_resource}});
  REQUIRE(browser.page.status == 200);
  CHECK_THAT(browser.page.body, Catch::Contains("Inspector"));
  const auto signed_in = submit_sign_in(stack.port(), browser, "alice", "alice's long password");
  REQUIRE(signed_in.status == 303);
  const auto code = query_of(signed_in.header("location")).at("code");
  const auto tokens = token_request(stack, form({{"grant_type", "authorization_code"},
                                                 {"code", code},
                                                 {"redirect_uri", loopback_callback},
                                                 {"client_id", client_id},
                                                 {"code_verifier", verifier},
                                                 {"resource", memory_stack_mcp_resource}}));
  REQUIRE(tokens.status == 200);
  const auto access_token = json_text(tokens.json().as_object(), "access_token");
  CHECK(jwt_claims(access_token).at("aud") == memory_stack_mcp_resource);
  CHECK(mcp_list(stack, access_token).status == 200);

  // A public client gets no client_credentials, and cannot pretend to have a secret.
  const auto credentials =
      token_request(stack, form({{"grant_type", "client_credentials"}, {"client_id", client_id}}));
  CHECK(credentials.json().at("error") == "unauthorized_client");
  const auto with_secret = token_request(stack, form({{"grant_type", "client_credentials"}}),
                                         {{"Authorization", basic(client_id, "guessed")}});
  CHECK(with_secret.json().at("error") == "invalid_client");

  // Disabling it ends its tokens at once, like any application's.
  stack.admin({"app", "update", client_id, "--status", "disabled"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int status = 200;
  while (std::chrono::steady_clock::now() < deadline &&
         (status = mcp_list(stack, access_token).status) == 200) {
  }
  CHECK(status == 401);
}

TEST_CASE("oauth registration: a confidential client gets its secret once, hashed at rest",
          "[integration][oauth]") {
  memory_stack stack({{"OAUTH_DYNAMIC_CLIENT_REGISTRATION", "true"}}, false);
  const auto registered = register_client(
      stack, R"({"redirect_uris":["https://host.example/cb"],"scope":"memories:read"})");
  REQUIRE(registered.status == 201);
  const auto client = registered.json().as_object();
  const auto secret = json_text(client, "client_secret");
  CHECK(secret.size() >= 40);
  CHECK(client.at("client_secret_expires_at") == 0);
  CHECK(client.at("scope") == "memories:read");
  const auto stored =
      stack.value("SELECT client_secret_hash FROM custom_gpt_applications WHERE client_id = $1",
                  {json_text(client, "client_id")});
  CHECK(stored.starts_with("pbkdf2-sha256$"));
  CHECK(stored.find(secret) == std::string::npos);
  const auto tokens =
      token_request(stack, form({{"grant_type", "client_credentials"}}),
                    {{"Authorization", basic(json_text(client, "client_id"), secret)}});
  REQUIRE(tokens.status == 200);
  CHECK(tokens.json().at("scope") == "memories:read");
  CHECK(stack.api->output().find(secret) == std::string::npos);
}
