#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/auth/secret_hash.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/oauth_browser.hpp"

using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace auth = gpt_adapter::auth;

namespace {

// Seconds from a refresh token's issue to its idle expiry, as stored.
long long idle_window_seconds(const api_stack& stack, const std::string& refresh_token) {
  return std::stoll(stack.value(
      "SELECT extract(epoch FROM idle_expires_at - created_at)::bigint FROM custom_gpt_sessions "
      "WHERE token_hash = $1",
      {auth::sha256_hex(refresh_token)}));
}

// The database clock cannot be advanced, so the token is moved back in time instead: as if it
// had been issued (and its idle and absolute expiries computed) `age` earlier.
void age_refresh_token(const api_stack& stack, const std::string& refresh_token,
                       const std::string& age) {
  run_sql(stack.database.owner_url(),
          "UPDATE custom_gpt_sessions SET created_at = created_at - interval '" + age +
              "', idle_expires_at = idle_expires_at - interval '" + age +
              "', expires_at = expires_at - interval '" + age + "' WHERE token_hash = '" +
              auth::sha256_hex(refresh_token) + "'");
}

}  // namespace

TEST_CASE(
    "OAuth: a refresh token unused for REFRESH_TOKEN_IDLE_DAYS expires, while each use within "
    "the window renews it",
    "[integration][oauth]") {
  api_stack fixture({.environment = {{"REFRESH_TOKEN_IDLE_DAYS", "1"}}});
  const auto client = fixture.insert_application("GPT", "memories:read,memories:write");
  fixture.insert_end_user("ivy", "ivy's long password");
  const auto tokens = exchange_code(
      fixture, client, obtain_code(fixture, client, "ivy", "ivy's long password"), 200);
  const auto first_refresh = json_text(tokens, "refresh_token");
  CHECK(idle_window_seconds(fixture, first_refresh) == 24 * 3600);

  // Used 23 hours after its issue, within the idle window: it rotates, and the new token's idle
  // window starts again from now (its absolute expiry stays the family's).
  age_refresh_token(fixture, first_refresh, "23 hours");
  const auto renewed = refresh(fixture, client, first_refresh, 200);
  const auto second_refresh = json_text(renewed, "refresh_token");
  CHECK(idle_window_seconds(fixture, second_refresh) == 24 * 3600);
  CHECK(fixture.value("SELECT (s.expires_at = p.expires_at)::text FROM custom_gpt_sessions s "
                      "JOIN custom_gpt_sessions p ON p.id = s.parent_id WHERE s.token_hash = $1",
                      {auth::sha256_hex(second_refresh)}) == "true");
  CHECK(introspect(fixture, client, second_refresh).at("active").as_bool());

  // Left unused for a whole idle window, it is refused, although its absolute expiry (30 days)
  // is far away. Expiry is not reuse: the access token issued with it stays valid.
  age_refresh_token(fixture, second_refresh, "1 day");
  CHECK_FALSE(introspect(fixture, client, second_refresh).at("active").as_bool());
  const auto refused = refresh(fixture, client, second_refresh, 400);
  CHECK(json_text(refused, "error") == "invalid_grant");
  CHECK(introspect(fixture, client, json_text(renewed, "access_token")).at("active").as_bool());
  CHECK(fixture.metric("gpt_adapter_oauth_authentication_failures_total",
                       {{"reason", "refresh_token_reuse"}}) == 0);
}

TEST_CASE("OAuth: a refresh request may narrow the granted scope but never widen it",
          "[integration][oauth]") {
  api_stack fixture;
  const auto client = fixture.insert_application("GPT", "memories:read,memories:write");
  fixture.insert_end_user("jack", "jack's long password");
  const auto tokens = exchange_code(
      fixture, client, obtain_code(fixture, client, "jack", "jack's long password"), 200);
  CHECK(json_text(tokens, "scope") == "memories:read memories:write");

  // Narrower: the new access token, and the family from now on, carry only memories:read.
  const auto narrowed =
      refresh(fixture, client, json_text(tokens, "refresh_token"), 200, "memories:read");
  CHECK(json_text(narrowed, "scope") == "memories:read");
  CHECK(json_text(jwt_claims(json_text(narrowed, "access_token")), "scope") == "memories:read");
  const auto narrowed_refresh = json_text(narrowed, "refresh_token");

  // Wider than what the family now holds, or than the client may ever have: invalid_scope,
  // and the refresh token is not spent by the refused request.
  const auto widened =
      refresh(fixture, client, narrowed_refresh, 400, "memories:read memories:write");
  CHECK(json_text(widened, "error") == "invalid_scope");
  CHECK(json_text(refresh(fixture, client, narrowed_refresh, 400, "memories:admin"), "error") ==
        "invalid_scope");
  CHECK(introspect(fixture, client, narrowed_refresh).at("active").as_bool());

  // Without a scope the refresh keeps the narrowed scope.
  const auto kept = refresh(fixture, client, narrowed_refresh, 200);
  CHECK(json_text(kept, "scope") == "memories:read");
  CHECK(json_text(jwt_claims(json_text(kept, "access_token")), "scope") == "memories:read");
}
