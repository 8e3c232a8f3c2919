#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/auth/secret_hash.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/libpq_queries.hpp"
#include "tests/support/oauth_browser.hpp"

using namespace gpt_adapter::testing;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace auth = gpt_adapter::auth;

namespace {

// Whether the role a URL logs in as is exempt from row-level security.
bool bypasses_rls(const std::string& url) {
  const auto rows = query_rows(
      url, "SELECT (rolsuper OR rolbypassrls)::text FROM pg_roles WHERE rolname = current_user",
      {});
  REQUIRE(rows.size() == 1);
  return rows[0][0] == "true";
}

bool active(const api_stack& stack, const registered_application& as, const std::string& token) {
  return introspect(stack, as, token).at("active").as_bool();
}

}  // namespace

// The cross-client cases of the OAuth suite, on the runtime role (row-level security in force)
// and on a BYPASSRLS role (where only the services' own checks keep applications apart).
TEST_CASE(
    "OAuth: a client cannot refresh, describe, revoke or redeem another client's tokens and codes, "
    "whether or not row-level security is in force",
    "[integration][oauth]") {
  const bool bypass = GENERATE(false, true);
  INFO((bypass ? "BYPASSRLS role" : "runtime role"));
  api_stack fixture({.rls_bypassing_role = bypass});
  // The test proves what it says only if the services' role is what it claims to be.
  REQUIRE(bypasses_rls(bypass ? fixture.database.bypass_rls_url()
                              : fixture.database.runtime_url()) == bypass);
  const auto owner = fixture.insert_application("Owner", "memories:read,memories:write",
                                                chatgpt_redirect_pattern, true);
  const auto intruder = fixture.insert_application("Intruder", "memories:read,memories:write",
                                                   chatgpt_redirect_pattern, true);
  const auto user_id = fixture.insert_end_user("erin", "erin's long password");

  const auto tokens = exchange_code(
      fixture, owner, obtain_code(fixture, owner, "erin", "erin's long password"), 200);
  const auto access = json_text(tokens, "access_token");
  const auto refresh_token = json_text(tokens, "refresh_token");

  SECTION("refresh (RFC 6749 §6): the token is not the other client's to use") {
    CHECK(json_text(refresh(fixture, intruder, refresh_token, 400), "error") == "invalid_grant");
    // Nor was it marked used or its family revoked by the attempt: the owner still rotates it.
    const auto rotated = refresh(fixture, owner, refresh_token, 200);
    const auto second_refresh = json_text(rotated, "refresh_token");
    CHECK(json_text(jwt_claims(json_text(rotated, "access_token")), "sub") == user_id);
    // A used token presented by another client is no reuse of the owner's: it revokes nothing.
    CHECK(json_text(refresh(fixture, intruder, refresh_token, 400), "error") == "invalid_grant");
    CHECK(active(fixture, owner, second_refresh));
    // Refresh tokens from client credentials are bound the same way.
    const auto cc = token_request(fixture, form({{"grant_type", "client_credentials"}}),
                                  {{"Authorization", basic(owner.client_id, owner.client_secret)}});
    REQUIRE(cc.status == 200);
    const auto cc_refresh = json_text(cc.json().as_object(), "refresh_token");
    REQUIRE(!cc_refresh.empty());
    CHECK(json_text(refresh(fixture, intruder, cc_refresh, 400), "error") == "invalid_grant");
    CHECK(active(fixture, owner, cc_refresh));
  }

  SECTION("introspection (RFC 7662 §2.2): another client's tokens are inactive to it") {
    CHECK_FALSE(active(fixture, intruder, refresh_token));
    CHECK_FALSE(active(fixture, intruder, access));
    CHECK(active(fixture, owner, refresh_token));
    CHECK(active(fixture, owner, access));
  }

  SECTION("revocation (RFC 7009 §2.1): another client's request revokes nothing") {
    CHECK(revoke_token(fixture, intruder, refresh_token).status == 200);
    CHECK(revoke_token(fixture, intruder, access).status == 200);
    CHECK(active(fixture, owner, refresh_token));
    CHECK(active(fixture, owner, access));
    CHECK(fixture.value("SELECT count(*) FROM custom_gpt_sessions WHERE revoked_at IS NOT NULL") ==
          "0");
    // The owner's own revocation works, on this role too.
    CHECK(revoke_token(fixture, owner, refresh_token).status == 200);
    CHECK_FALSE(active(fixture, owner, refresh_token));
    CHECK_FALSE(active(fixture, owner, access));
  }

  SECTION("authorization codes (RFC 6749 §4.1.3): bound to the client they were issued to") {
    const auto code = obtain_code(fixture, owner, "erin", "erin's long password");
    CHECK(json_text(exchange_code(fixture, intruder, code, 400), "error") == "invalid_grant");
    // The other client's attempt did not use the code up: its owner still redeems it once.
    const auto redeemed = exchange_code(fixture, owner, code, 200);
    // Another client replaying it revokes nothing of the owner's.
    CHECK(json_text(exchange_code(fixture, intruder, code, 400), "error") == "invalid_grant");
    CHECK(active(fixture, owner, json_text(redeemed, "refresh_token")));
    CHECK(active(fixture, owner, json_text(redeemed, "access_token")));
  }
}
