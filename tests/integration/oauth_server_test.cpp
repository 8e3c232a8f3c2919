#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/auth/pkce.hpp"
#include "common/auth/secret_hash.hpp"
#include "common/auth/signing_key.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/test_keys.hpp"

using namespace gpt_adapter::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace auth = gpt_adapter::auth;

TEST_CASE("OAuth: the ChatGPT code flow with refresh rotation and reuse detection",
          "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("Memory <GPT>", "memories:read,memories:write");
  const auto user_id = fixture.insert_end_user("alice", "correct horse battery");

  // The authorization page: the app's name (escaped) and the scopes, a CSRF token and a cookie.
  const auto browser =
      open_authorize_page(fixture.port(), authorize_query(client, "opaque state/+=?"));
  REQUIRE(browser.page.status == 200);
  CHECK_THAT(browser.page.header("content-type"), StartsWith("text/html"));
  CHECK(browser.page.header("cache-control") == "no-store");
  CHECK_THAT(browser.page.body, Contains("Memory &lt;GPT&gt;"));
  CHECK_THAT(browser.page.body, Contains("memories:read"));
  CHECK_THAT(browser.page.body, Contains("memories:write"));
  CHECK_THAT(browser.page.header("set-cookie"), Contains("HttpOnly"));
  CHECK_THAT(browser.page.header("set-cookie"), Contains("SameSite=Strict"));
  REQUIRE(browser.csrf_token.size() >= 32);

  // A wrong password shows the form again, with no redirect.
  const auto wrong = submit_sign_in(fixture.port(), browser, "alice", "wrong password!");
  CHECK(wrong.status == 200);
  CHECK(wrong.header("location").empty());
  CHECK_THAT(wrong.body, Contains("The username or password is incorrect."));
  // The CSRF token was single use: the first form cannot be replayed.
  CHECK(submit_sign_in(fixture.port(), browser, "alice", "correct horse battery").status == 403);

  const auto again =
      open_authorize_page(fixture.port(), authorize_query(client, "opaque state/+=?"));
  const auto signed_in = submit_sign_in(fixture.port(), again, "alice", "correct horse battery");
  REQUIRE(signed_in.status == 303);
  const auto location = signed_in.header("location");
  CHECK_THAT(location, StartsWith(std::string(chatgpt_callback) + "?code="));
  auto params = query_of(location);
  CHECK(params.at("state") == "opaque state/+=?");
  // RFC 9207: the response names the server that issued it, as the metadata does.
  const auto issuer = json_text(
      http_get(fixture.port(), "/.well-known/oauth-authorization-server").json().as_object(),
      "issuer");
  REQUIRE(!issuer.empty());
  CHECK(params.at("iss") == issuer);
  const auto code = params.at("code");

  // Form-encoded exchange with client_secret_post, as ChatGPT's "default POST" does.
  const auto tokens = exchange_code(fixture, client, code, 200);
  CHECK(json_text(tokens, "token_type") == "Bearer");
  CHECK(tokens.at("expires_in").as_int64() == 3600);
  CHECK(json_text(tokens, "scope") == "memories:read memories:write");
  const auto access = json_text(tokens, "access_token");
  const auto first_refresh = json_text(tokens, "refresh_token");
  REQUIRE(!first_refresh.empty());
  const auto claims = jwt_claims(access);
  CHECK(json_text(claims, "sub") == user_id);
  CHECK(json_text(claims, "client_id") == client.client_id);
  CHECK(introspect(fixture, client, access).at("active").as_bool());
  // Refresh tokens are stored only as their SHA-256.
  CHECK(fixture.value("SELECT count(*) FROM custom_gpt_sessions WHERE token_hash = '" +
                      auth::sha256_hex(first_refresh) + "'") == "1");
  CHECK(fixture.value("SELECT count(*) FROM custom_gpt_sessions WHERE token_hash = '" +
                      first_refresh + "'") == "0");

  // Refresh with client_secret_basic: a new pair, the refresh token rotated.
  const auto second = refresh(fixture, client, first_refresh, 200);
  const auto second_refresh = json_text(second, "refresh_token");
  CHECK(second_refresh != first_refresh);
  CHECK(json_text(jwt_claims(json_text(second, "access_token")), "sub") == user_id);
  const auto third = refresh(fixture, client, second_refresh, 200);
  const auto third_access = json_text(third, "access_token");
  const auto third_refresh = json_text(third, "refresh_token");
  CHECK(introspect(fixture, client, third_refresh).at("active").as_bool());

  // Reusing an old refresh token revokes the whole family, the latest tokens included.
  const auto reused = refresh(fixture, client, first_refresh, 400);
  CHECK(json_text(reused, "error") == "invalid_grant");
  CHECK(json_text(refresh(fixture, client, third_refresh, 400), "error") == "invalid_grant");
  CHECK_FALSE(introspect(fixture, client, third_access).at("active").as_bool());
  CHECK_FALSE(introspect(fixture, client, third_refresh).at("active").as_bool());

  CHECK(fixture.metric("gpt_adapter_oauth_tokens_issued_total",
                       {{"grant", "authorization_code"}}) == 1);
  CHECK(fixture.metric("gpt_adapter_oauth_tokens_issued_total", {{"grant", "refresh_token"}}) == 2);
  CHECK(fixture.metric("gpt_adapter_oauth_authentication_failures_total",
                       {{"reason", "refresh_token_reuse"}}) == 1);

  // Every outcome is audited, the reuse included, and no secret reaches the audit stream.
  bool reuse_audited = false;
  bool sign_in_audited = false;
  for (const auto& entry : fixture.audit_stream()) {
    for (const auto& [name, value] : entry) {
      CHECK(value.find(client.client_secret) == std::string::npos);
      CHECK(value.find(first_refresh) == std::string::npos);
      CHECK(value.find("correct horse battery") == std::string::npos);
      if (value.find("refresh_token_reuse") != std::string::npos) {
        reuse_audited = true;
      }
      if (value.find("oauth_sign_in") != std::string::npos) {
        sign_in_audited = true;
      }
    }
  }
  CHECK(reuse_audited);
  CHECK(sign_in_audited);
  // Nothing the server logged contains a token, a secret or a password.
  const auto output = fixture.api->output();
  CHECK(output.find(client.client_secret) == std::string::npos);
  CHECK(output.find(first_refresh) == std::string::npos);
  CHECK(output.find(access) == std::string::npos);
  CHECK(output.find("correct horse battery") == std::string::npos);
}

TEST_CASE(
    "OAuth: authorization codes are single use, bound to client and redirect URI, and PKCE "
    "is verified when the request had a challenge",
    "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("GPT", "memories:read");
  const auto other = fixture.insert_application("Other", "memories:read");
  fixture.insert_end_user("bob", "bob's long password");

  SECTION("a code used twice revokes the tokens it produced") {
    const auto code = obtain_code(fixture, client, "bob", "bob's long password");
    const auto tokens = exchange_code(fixture, client, code, 200);
    const auto replay = exchange_code(fixture, client, code, 400);
    CHECK(json_text(replay, "error") == "invalid_grant");
    CHECK_FALSE(
        introspect(fixture, client, json_text(tokens, "access_token")).at("active").as_bool());
    CHECK(json_text(refresh(fixture, client, json_text(tokens, "refresh_token"), 400), "error") ==
          "invalid_grant");
    CHECK(fixture.metric("gpt_adapter_oauth_authentication_failures_total",
                         {{"reason", "code_reuse"}}) == 1);
  }

  SECTION("another client or another redirect URI cannot redeem the code") {
    auto code = obtain_code(fixture, client, "bob", "bob's long password");
    CHECK(json_text(exchange_code(fixture, other, code, 400), "error") == "invalid_grant");
    code = obtain_code(fixture, client, "bob", "bob's long password");
    const auto reply =
        token_request(fixture,
                      form({{"grant_type", "authorization_code"},
                            {"code", code},
                            {"redirect_uri", "https://chatgpt.com/aip/g-other/oauth/callback"}}),
                      {{"Authorization", basic(client.client_id, client.client_secret)}});
    CHECK(reply.status == 400);
    CHECK(json_text(reply.json().as_object(), "error") == "invalid_grant");
    CHECK(json_text(exchange_code(fixture, client, "not-a-code", 400), "error") == "invalid_grant");
  }

  SECTION("PKCE S256: the right verifier works, a wrong or missing one does not") {
    const std::string verifier(64, 'v');
    const auto challenge = auth::s256_code_challenge(verifier);
    auto code = obtain_code(fixture, client, "bob", "bob's long password",
                            {{"code_challenge", challenge}, {"code_challenge_method", "S256"}});
    CHECK(json_text(
              exchange_code(fixture, client, code, 400, {{"code_verifier", std::string(64, 'w')}}),
              "error") == "invalid_grant");
    code = obtain_code(fixture, client, "bob", "bob's long password",
                       {{"code_challenge", challenge}, {"code_challenge_method", "S256"}});
    CHECK(json_text(exchange_code(fixture, client, code, 400), "error") == "invalid_grant");
    code = obtain_code(fixture, client, "bob", "bob's long password",
                       {{"code_challenge", challenge}, {"code_challenge_method", "S256"}});
    exchange_code(fixture, client, code, 200, {{"code_verifier", verifier}});
  }

  SECTION("PKCE plain is refused (RFC 9700 §2.1.1), and so is a verifier without a challenge") {
    const std::string verifier(50, 'p');
    // Named plain, or plain by default (no method): invalid_request back to the client.
    for (const auto& extra :
         {form_fields{{"code_challenge", verifier}, {"code_challenge_method", "plain"}},
          form_fields{{"code_challenge", verifier}}}) {
      const auto reply =
          http_get(fixture.port(), "/oauth/authorize?" + authorize_query(client, "st-p", extra));
      REQUIRE(reply.status == 303);
      const auto params = query_of(reply.header("location"));
      CHECK(params.at("error") == "invalid_request");
      CHECK_THAT(params.at("error_description"), Contains("S256"));
      CHECK(params.at("state") == "st-p");
      CHECK(params.count("iss") == 1);
      CHECK(params.count("code") == 0);
    }
    const auto code = obtain_code(fixture, client, "bob", "bob's long password");
    CHECK(json_text(exchange_code(fixture, client, code, 400, {{"code_verifier", verifier}}),
                    "error") == "invalid_grant");
  }
}

TEST_CASE(
    "OAuth: authorization errors redirect with state, except for an unknown client or "
    "redirect URI",
    "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("GPT", "memories:read");
  fixture.insert_end_user("carol", "carol's long password");

  const auto page_error = [&](const std::string& query) {
    const auto reply = http_get(fixture.port(), "/oauth/authorize?" + query);
    CHECK(reply.status == 400);
    CHECK(reply.header("location").empty());
    CHECK_THAT(reply.header("content-type"), StartsWith("text/html"));
  };
  page_error(form({{"response_type", "code"},
                   {"client_id", "gpta_unknown"},
                   {"redirect_uri", chatgpt_callback},
                   {"state", "s"}}));
  page_error(form({{"response_type", "code"},
                   {"client_id", client.client_id},
                   {"redirect_uri", "https://evil.example/callback"},
                   {"state", "s"}}));
  page_error(form({{"response_type", "code"}, {"client_id", client.client_id}, {"state", "s"}}));

  const auto issuer = json_text(
      http_get(fixture.port(), "/.well-known/oauth-authorization-server").json().as_object(),
      "issuer");
  REQUIRE(!issuer.empty());
  // Every error response carries iss too (RFC 9207 §2).
  const auto redirected = [&](const std::string& query) {
    const auto reply = http_get(fixture.port(), "/oauth/authorize?" + query);
    REQUIRE(reply.status == 303);
    CHECK_THAT(reply.header("location"), StartsWith(chatgpt_callback));
    const auto params = query_of(reply.header("location"));
    CHECK(params.count("iss") == 1);
    if (params.count("iss") == 1) {
      CHECK(params.at("iss") == issuer);
    }
    return params;
  };
  auto params = redirected(form({{"response_type", "code"},
                                 {"client_id", client.client_id},
                                 {"redirect_uri", chatgpt_callback}}));
  CHECK(params.at("error") == "invalid_request");
  CHECK(params.count("state") == 0);
  params = redirected(form({{"response_type", "code"},
                            {"client_id", client.client_id},
                            {"redirect_uri", chatgpt_callback},
                            {"state", "st-1"},
                            {"scope", "memories:write"}}));
  CHECK(params.at("error") == "invalid_scope");
  CHECK(params.at("state") == "st-1");
  params = redirected(form({{"response_type", "token"},
                            {"client_id", client.client_id},
                            {"redirect_uri", chatgpt_callback},
                            {"state", "st-2"}}));
  CHECK(params.at("error") == "unsupported_response_type");
  CHECK(params.at("state") == "st-2");
  params = redirected(authorize_query(client, "st-3", {{"code_challenge", "short"}}));
  CHECK(params.at("error") == "invalid_request");

  // Denying consent, and a form posted without the browser's cookie or with a forged token.
  const auto browser = open_authorize_page(fixture.port(), authorize_query(client, "st-4"));
  CHECK(submit_sign_in(fixture.port(), browser, "carol", "carol's long password", "allow",
                       std::nullopt, "gpt_adapter_authorize=" + std::string(43, 'x'))
            .status == 403);
  const auto second = open_authorize_page(fixture.port(), authorize_query(client, "st-4"));
  CHECK(submit_sign_in(fixture.port(), second, "carol", "carol's long password", "allow",
                       auth::random_token(32))
            .status == 403);
  const auto third = open_authorize_page(fixture.port(), authorize_query(client, "st-4"));
  const auto denied = submit_sign_in(fixture.port(), third, "carol", "", "deny");
  REQUIRE(denied.status == 303);
  params = query_of(denied.header("location"));
  CHECK(params.at("iss") == issuer);
  CHECK(params.at("error") == "access_denied");
  CHECK(params.at("state") == "st-4");

  // A disabled end user cannot sign in.
  run_sql(fixture.database.owner_url(),
          "UPDATE custom_gpt_end_users SET status = 'disabled' WHERE username = 'carol'");
  const auto fourth = open_authorize_page(fixture.port(), authorize_query(client, "st-5"));
  const auto refused = submit_sign_in(fixture.port(), fourth, "carol", "carol's long password");
  CHECK(refused.status == 200);
  CHECK(refused.header("location").empty());
}

TEST_CASE("OAuth: client credentials with both authentication methods, JSON bodies and scopes",
          "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("Service", "memories:read,memories:write");

  // client_secret_basic, form body, a subset of the allowed scopes.
  auto reply =
      token_request(fixture, form({{"grant_type", "client_credentials"}, {"scope", "memory:read"}}),
                    {{"Authorization", basic(client.client_id, client.client_secret)}});
  REQUIRE(reply.status == 200);
  CHECK(reply.header("cache-control") == "no-store");
  CHECK(reply.header("pragma") == "no-cache");
  auto body = reply.json().as_object();
  CHECK(json_text(body, "scope") == "memories:read");
  CHECK(!body.contains("refresh_token"));
  const auto claims = jwt_claims(json_text(body, "access_token"));
  CHECK(json_text(claims, "sub") == client.client_id);
  CHECK(json_text(claims, "iss") == "http://localhost:" + std::to_string(fixture.port()));

  // client_secret_post in a JSON body at the seeds' alias; an empty scope means the defaults.
  reply = token_request(fixture,
                        json::serialize(json::object{{"grant_type", "client_credentials"},
                                                     {"client_id", client.client_id},
                                                     {"client_secret", client.client_secret},
                                                     {"scope", ""}}),
                        {}, "/auth/token", "application/json");
  REQUIRE(reply.status == 200);
  CHECK(json_text(reply.json().as_object(), "scope") == "memories:read memories:write");

  // Errors exactly as RFC 6749 §5.2.
  const auto limited = fixture.insert_application("Reader", "memories:read");
  reply = token_request(fixture,
                        form({{"grant_type", "client_credentials"}, {"scope", "memories:write"}}),
                        {{"Authorization", basic(limited.client_id, limited.client_secret)}});
  CHECK(reply.status == 400);
  CHECK(json_text(reply.json().as_object(), "error") == "invalid_scope");
  reply = token_request(fixture,
                        form({{"grant_type", "client_credentials"}, {"scope", "memories:admin"}}),
                        {{"Authorization", basic(client.client_id, client.client_secret)}});
  CHECK(json_text(reply.json().as_object(), "error") == "invalid_scope");

  reply = token_request(fixture, form({{"grant_type", "client_credentials"}}),
                        {{"Authorization", basic(client.client_id, "wrong-secret")}});
  CHECK(reply.status == 401);
  CHECK(reply.header("content-type") == "application/json");
  CHECK(json_text(reply.json().as_object(), "error") == "invalid_client");
  CHECK_THAT(reply.header("www-authenticate"), StartsWith("Basic realm="));
  reply = token_request(fixture, form({{"grant_type", "client_credentials"},
                                       {"client_id", "gpta_nobody"},
                                       {"client_secret", "x"}}));
  CHECK(reply.status == 401);
  reply = token_request(fixture, form({{"grant_type", "password"}}),
                        {{"Authorization", basic(client.client_id, client.client_secret)}});
  CHECK(json_text(reply.json().as_object(), "error") == "unsupported_grant_type");
  reply = token_request(fixture, "grant_type=client_credentials", {}, "/oauth/token", "text/plain");
  CHECK(reply.status == 400);
  CHECK(json_text(reply.json().as_object(), "error") == "invalid_request");
  CHECK(fixture.metric("gpt_adapter_oauth_authentication_failures_total",
                       {{"reason", "invalid_client"}}) >= 2);
  CHECK(fixture.metric("gpt_adapter_oauth_tokens_issued_total",
                       {{"grant", "client_credentials"}}) == 2);
}

TEST_CASE("OAuth: disabling an application or resetting its secret invalidates older tokens",
          "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("GPT", "memories:read", chatgpt_redirect_pattern,
                                                 /*refresh=*/true);
  const auto issue = [&] {
    const auto reply =
        token_request(fixture, form({{"grant_type", "client_credentials"}}),
                      {{"Authorization", basic(client.client_id, client.client_secret)}});
    REQUIRE(reply.status == 200);
    return reply.json().as_object();
  };
  const auto before = issue();
  REQUIRE(before.contains("refresh_token"));
  CHECK(introspect(fixture, client, json_text(before, "access_token")).at("active").as_bool());

  // What `app reset-secret` does: a new hash and a higher token version.
  const auto new_secret = auth::random_token(32);
  run_sql(fixture.database.owner_url(),
          "UPDATE custom_gpt_applications SET client_secret_hash = '" +
              fast_secret_hash(new_secret) +
              "', token_version = token_version + 1 WHERE client_id = '" + client.client_id + "'");
  auto renewed = client;
  renewed.client_secret = new_secret;
  const auto old_secret =
      token_request(fixture, form({{"grant_type", "client_credentials"}}),
                    {{"Authorization", basic(client.client_id, client.client_secret)}});
  CHECK(old_secret.status == 401);
  CHECK_FALSE(
      introspect(fixture, renewed, json_text(before, "access_token")).at("active").as_bool());
  CHECK(json_text(refresh(fixture, renewed, json_text(before, "refresh_token"), 400), "error") ==
        "invalid_grant");

  // A disabled application cannot obtain tokens at all.
  run_sql(fixture.database.owner_url(),
          "UPDATE custom_gpt_applications SET status = 'disabled' WHERE client_id = '" +
              client.client_id + "'");
  const auto disabled =
      token_request(fixture, form({{"grant_type", "client_credentials"}}),
                    {{"Authorization", basic(renewed.client_id, renewed.client_secret)}});
  CHECK(disabled.status == 401);
  CHECK(json_text(disabled.json().as_object(), "error") == "invalid_client");
}

TEST_CASE("OAuth: revocation and introspection", "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("GPT", "memories:read");
  const auto other = fixture.insert_application("Other", "memories:read");
  fixture.insert_end_user("dave", "dave's long password");
  const auto revoke = [&](const registered_application& as, const std::string& token) {
    return http_request(fixture.port(), {.method = bhttp::verb::post,
                                         .target = "/oauth/revoke",
                                         .body = form({{"token", token},
                                                       {"client_id", as.client_id},
                                                       {"client_secret", as.client_secret}}),
                                         .headers = {{"Content-Type", form_content_type}}});
  };

  const auto tokens = exchange_code(
      fixture, client, obtain_code(fixture, client, "dave", "dave's long password"), 200);
  const auto access = json_text(tokens, "access_token");
  const auto refresh_token = json_text(tokens, "refresh_token");

  const auto described = introspect(fixture, client, access);
  CHECK(described.at("active").as_bool());
  CHECK(json_text(described, "scope") == "memories:read");
  CHECK(json_text(described, "client_id") == client.client_id);
  CHECK(described.at("exp").as_int64() > described.at("iat").as_int64());
  // Another client learns nothing about this client's tokens, and cannot revoke them.
  CHECK_FALSE(introspect(fixture, other, access).at("active").as_bool());
  CHECK(revoke(other, refresh_token).status == 200);
  CHECK(introspect(fixture, client, refresh_token).at("active").as_bool());
  CHECK_FALSE(introspect(fixture, client, "garbage").at("active").as_bool());

  // Revoking the refresh token revokes its family and the access token issued with it.
  CHECK(revoke(client, refresh_token).status == 200);
  CHECK_FALSE(introspect(fixture, client, refresh_token).at("active").as_bool());
  CHECK_FALSE(introspect(fixture, client, access).at("active").as_bool());
  CHECK(json_text(refresh(fixture, client, refresh_token, 400), "error") == "invalid_grant");

  // An access token on its own goes on the deny-list.
  const auto cc = token_request(fixture, form({{"grant_type", "client_credentials"}}),
                                {{"Authorization", basic(client.client_id, client.client_secret)}});
  const auto cc_access = json_text(cc.json().as_object(), "access_token");
  CHECK(introspect(fixture, client, cc_access).at("active").as_bool());
  const auto me = [&](const std::string& token) {
    return http_request(fixture.port(), {.method = bhttp::verb::get,
                                         .target = "/api/v1/me",
                                         .headers = {{"Authorization", "Bearer " + token}}});
  };
  CHECK(me(cc_access).status == 200);
  CHECK(revoke(client, cc_access).status == 200);
  CHECK_FALSE(introspect(fixture, client, cc_access).at("active").as_bool());
  // Every API route refuses it from now on, on every replica (the deny-list is in Redis).
  const auto after_revocation = me(cc_access);
  CHECK(after_revocation.status == 401);
  CHECK_THAT(after_revocation.header("www-authenticate"),
             Contains("invalid_token") && Contains("revoked"));
  CHECK(me(access).status == 401);  // revoked with its refresh token's family
  CHECK(fixture.value("SELECT 1") == "1");

  // Unknown tokens are fine (RFC 7009 §2.2); unauthenticated callers are not.
  CHECK(revoke(client, "never-issued").status == 200);
  auto unauthenticated = client;
  unauthenticated.client_secret = "wrong";
  const auto refused = revoke(unauthenticated, access);
  CHECK(refused.status == 401);
  CHECK(json_text(refused.json().as_object(), "error") == "invalid_client");
}

TEST_CASE("OAuth: metadata and JWKS, with RS256 and ES256 key rotation", "[integration][oauth]") {
  temp_dir keys("oauth-keys");
  const auto write = [&](const std::string& name, const std::string& pem) {
    const auto path = keys.path() / name;
    std::ofstream(path) << pem;
    return path.string();
  };
  const auto es_private = generate_ec_private_key_pem();
  const auto rs_private = generate_rsa_private_key_pem();
  const auto es_file = write("es.pem", es_private);
  const auto rs_file = write("rs.pem", rs_private);
  const auto es_public = write(
      "es.pub", auth::signing_key::from_private_pem("x", auth::signing_algorithm::es256, es_private)
                    .public_key_pem());
  const auto rs_public = write(
      "rs.pub", auth::signing_key::from_private_pem("x", auth::signing_algorithm::rs256, rs_private)
                    .public_key_pem());

  // ES256 signs; the next RSA key is already published.
  api_stack fixture({.api = false});
  fixture.start_api({{"PUBLIC_BASE_URL", "https://gpt.example.com"},
                     {"JWT_ALGORITHM", "ES256"},
                     {"JWT_PRIVATE_KEY_FILE", es_file},
                     {"JWT_KEY_ID", "es-1"},
                     {"JWT_VERIFY_ONLY_KEY_FILES", "rs-2=" + rs_public}});
  const auto metadata = http_get(fixture.port(), "/.well-known/oauth-authorization-server");
  REQUIRE(metadata.status == 200);
  const auto document = metadata.json().as_object();
  CHECK(json_text(document, "issuer") == "https://gpt.example.com");
  CHECK(json_text(document, "token_endpoint") == "https://gpt.example.com/oauth/token");
  CHECK(json_text(document, "authorization_endpoint") == "https://gpt.example.com/oauth/authorize");
  CHECK(json_text(document, "jwks_uri") == "https://gpt.example.com/.well-known/jwks.json");
  CHECK(json_text(document, "revocation_endpoint") == "https://gpt.example.com/oauth/revoke");
  CHECK(json_text(document, "introspection_endpoint") ==
        "https://gpt.example.com/oauth/introspect");
  CHECK(json::serialize(document.at("grant_types_supported")) ==
        R"(["authorization_code","refresh_token","client_credentials"])");
  CHECK(json::serialize(document.at("token_endpoint_auth_methods_supported")) ==
        R"(["client_secret_basic","client_secret_post"])");
  CHECK(json::serialize(document.at("code_challenge_methods_supported")) == R"(["S256"])");
  CHECK(document.at("authorization_response_iss_parameter_supported").as_bool());
  CHECK(json::serialize(document.at("scopes_supported")) ==
        R"(["memories:read","memories:write"])");
  CHECK(json::serialize(document.at("response_types_supported")) == R"(["code"])");

  const auto kids = [&] {
    std::vector<std::string> found;
    const auto jwks = http_get(fixture.port(), "/.well-known/jwks.json").json().as_object();
    for (const auto& key : jwks.at("keys").as_array()) {
      found.emplace_back(key.as_object().at("kid").as_string());
      CHECK(!key.as_object().contains("d"));
    }
    return found;
  };
  CHECK(kids() == std::vector<std::string>{"es-1", "rs-2"});

  const auto client = fixture.insert_application("GPT", "memories:read");
  const auto issue = [&] {
    const auto reply =
        token_request(fixture, form({{"grant_type", "client_credentials"}}),
                      {{"Authorization", basic(client.client_id, client.client_secret)}});
    REQUIRE(reply.status == 200);
    return json_text(reply.json().as_object(), "access_token");
  };
  const auto es_token = issue();
  CHECK(json_text(jwt_header(es_token), "alg") == "ES256");
  CHECK(json_text(jwt_header(es_token), "kid") == "es-1");

  // Rotation: the RSA key signs now, the EC key only verifies until its tokens expire.
  fixture.start_api({{"PUBLIC_BASE_URL", "https://gpt.example.com"},
                     {"JWT_ALGORITHM", "RS256"},
                     {"JWT_PRIVATE_KEY_FILE", rs_file},
                     {"JWT_KEY_ID", "rs-2"},
                     {"JWT_VERIFY_ONLY_KEY_FILES", "es-1=" + es_public}});
  CHECK(kids() == std::vector<std::string>{"rs-2", "es-1"});
  const auto rs_token = issue();
  CHECK(json_text(jwt_header(rs_token), "alg") == "RS256");
  CHECK(json_text(jwt_header(rs_token), "kid") == "rs-2");
  CHECK(introspect(fixture, client, es_token).at("active").as_bool());
  CHECK(introspect(fixture, client, rs_token).at("active").as_bool());

  // Once the EC key is dropped, its tokens stop verifying.
  fixture.start_api({{"PUBLIC_BASE_URL", "https://gpt.example.com"},
                     {"JWT_ALGORITHM", "RS256"},
                     {"JWT_PRIVATE_KEY_FILE", rs_file},
                     {"JWT_KEY_ID", "rs-2"}});
  CHECK_FALSE(introspect(fixture, client, es_token).at("active").as_bool());
  CHECK(introspect(fixture, client, rs_token).at("active").as_bool());
}

TEST_CASE("OAuth: the token endpoint and sign-in are rate limited per client and address",
          "[integration][oauth]") {
  api_stack fixture({.environment = {{"OAUTH_CLIENT_ATTEMPTS_PER_MINUTE", "3"},
                                     {"OAUTH_ADDRESS_ATTEMPTS_PER_MINUTE", "100"}}});
  const auto client = fixture.insert_application("GPT", "memories:read");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto reply =
        token_request(fixture, form({{"grant_type", "client_credentials"}}),
                      {{"Authorization",
                        basic(client.client_id, attempt == 1 ? "wrong" : client.client_secret)}});
    CHECK(reply.status == (attempt == 1 ? 401 : 200));
  }
  const auto limited =
      token_request(fixture, form({{"grant_type", "client_credentials"}}),
                    {{"Authorization", basic(client.client_id, client.client_secret)}});
  CHECK(limited.status == 429);
  CHECK(limited.header("content-type") == "application/problem+json");
  const auto retry_after = std::stoi(limited.header("retry-after"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  CHECK(limited.json().as_object().at("request_id").as_string() == limited.header("x-request-id"));
  CHECK(fixture.metric("gpt_adapter_oauth_authentication_failures_total",
                       {{"reason", "rate_limited"}}) == 1);
  // Another client is not affected by this one's attempts.
  const auto second = fixture.insert_application("Second", "memories:read");
  CHECK(token_request(fixture, form({{"grant_type", "client_credentials"}}),
                      {{"Authorization", basic(second.client_id, second.client_secret)}})
            .status == 200);

  // Sign-in attempts are counted per username too.
  fixture.insert_end_user("erin", "erin's long password");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto browser = open_authorize_page(fixture.port(), authorize_query(client, "s"));
    CHECK(submit_sign_in(fixture.port(), browser, "erin", "not the password").status == 200);
  }
  const auto browser = open_authorize_page(fixture.port(), authorize_query(client, "s"));
  const auto blocked = submit_sign_in(fixture.port(), browser, "erin", "erin's long password");
  CHECK(blocked.status == 429);
  CHECK(!blocked.header("retry-after").empty());
}

TEST_CASE("OAuth: while Redis is down each process still limits token attempts",
          "[integration][oauth]") {
  api_stack fixture({.environment = {{"OAUTH_CLIENT_ATTEMPTS_PER_MINUTE", "3"},
                                     {"OAUTH_ADDRESS_ATTEMPTS_PER_MINUTE", "100"}}});
  const auto client = fixture.insert_application("GPT", "memories:read");
  fixture.redis.stop();
  const auto attempt = [&](const std::string& secret) {
    return token_request(fixture, form({{"grant_type", "client_credentials"}}),
                         {{"Authorization", basic(client.client_id, secret)}});
  };
  CHECK(attempt("wrong").status == 401);
  CHECK(attempt(client.client_secret).status == 200);
  CHECK(attempt("wrong").status == 401);
  const auto limited = attempt(client.client_secret);
  CHECK(limited.status == 429);
  CHECK(std::stoi(limited.header("retry-after")) >= 1);
  // Each attempt counts against its address and its client.
  CHECK(fixture.metric("gpt_adapter_oauth_attempt_limiter_unavailable_total") == 8);
  const auto lines = fixture.api->log_lines();
  CHECK(std::count_if(lines.begin(), lines.end(), [](const auto& line) {
          return line.at("message").as_string() ==
                 "attempt limiter cannot reach Redis: counting per process";
        }) == 1);
}

TEST_CASE("OAuth: end users managed with gpt-adapter-admin user commands",
          "[integration][oauth][admin]") {
  api_stack fixture;
  const auto client = fixture.insert_application("GPT", "memories:read");

  // Generated password, printed once in the JSON output.
  const auto created = fixture.admin({"user", "create", "--username", "frank", "--json"});
  REQUIRE(created.status == 0);
  const auto frank = json::parse(created.out).as_object();
  const auto generated = json_text(frank, "password");
  CHECK(generated.size() >= 24);
  CHECK(json_text(frank, "status") == "active");
  CHECK_THAT(created.err, Contains("only this once"));
  const auto stored = fixture.value(
      "SELECT password_hash FROM custom_gpt_end_users WHERE "
      "username = 'frank'");
  CHECK_THAT(stored, StartsWith("pbkdf2-sha256$600000$"));
  CHECK(stored.find(generated) == std::string::npos);

  // A chosen password comes from standard input, never from the command line.
  const auto chosen = fixture.admin({"user", "create", "--username", "grace", "--password-stdin"},
                                    "grace's own password");
  REQUIRE(chosen.status == 0);
  CHECK(chosen.out.find("grace's own password") == std::string::npos);
  CHECK(fixture
            .admin({"user", "create", "--username", "grace", "--password-stdin"},
                   "another long password")
            .status == 1);
  CHECK(fixture.admin({"user", "create", "--username", "short", "--password-stdin"}, "x").status ==
        1);
  CHECK(fixture.admin({"user", "create", "--username", "bad name"}).status == 2);

  const auto listed = fixture.admin({"user", "list", "--json"});
  REQUIRE(listed.status == 0);
  const auto users = json::parse(listed.out).as_array();
  CHECK(users.size() == 2);
  CHECK(listed.out.find("password") == std::string::npos);

  // Both can sign in; disabling and resetting take effect at once.
  obtain_code(fixture, client, "frank", generated);
  obtain_code(fixture, client, "grace", "grace's own password");
  REQUIRE(fixture.admin({"user", "disable", "grace"}).status == 0);
  auto browser = open_authorize_page(fixture.port(), authorize_query(client, "s"));
  CHECK(submit_sign_in(fixture.port(), browser, "grace", "grace's own password").status == 200);
  REQUIRE(fixture.admin({"user", "enable", "grace"}).status == 0);
  REQUIRE(
      fixture
          .admin({"user", "reset-password", "grace", "--password-stdin"}, "grace's newer password")
          .status == 0);
  browser = open_authorize_page(fixture.port(), authorize_query(client, "s"));
  CHECK(submit_sign_in(fixture.port(), browser, "grace", "grace's own password").status == 200);
  obtain_code(fixture, client, "grace", "grace's newer password");
  CHECK(fixture.admin({"user", "disable", "nobody"}).status == 1);
}
