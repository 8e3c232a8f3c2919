#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/problem_checks.hpp"

using Catch::Matchers::Contains;
using namespace gpt_adapter::testing;
using namespace std::chrono_literals;

namespace {

std::string client_credentials_token(const api_stack& stack, const registered_application& client) {
  const auto reply =
      token_request(stack, form({{"grant_type", "client_credentials"}}),
                    {{"Authorization", basic(client.client_id, client.client_secret)}});
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return json_text(reply.json().as_object(), "access_token");
}

http_reply me(const api_stack& stack, const std::string& token) {
  return stack.get("/api/v1/me", token);
}

}  // namespace

// Bearer authentication consults the deny-list inside the rate-limit script: one Redis command.
TEST_CASE(
    "token revocation: a revoked access token is refused without using up its application's rate "
    "limit, and accepted while Redis cannot say",
    "[integration][oauth][revocation]") {
  api_stack stack({.api = false});
  const auto client = stack.insert_application("Limited GPT", "memories:read");
  stack.value(
      "UPDATE custom_gpt_applications SET rate_limit_per_minute = 2 WHERE id = $1::uuid "
      "RETURNING id",
      {client.id});
  stack.start_api();
  const auto revoked = client_credentials_token(stack, client);
  const auto valid = client_credentials_token(stack, client);
  const auto revocation = token_request(
      stack, form({{"token", revoked}}),
      {{"Authorization", basic(client.client_id, client.client_secret)}}, "/oauth/revoke");
  REQUIRE(revocation.status == 200);

  for (int attempt = 0; attempt < 5; ++attempt) {
    const auto refused = me(stack, revoked);
    check_invalid_token(refused, revoked);
    CHECK_THAT(refused.header("www-authenticate"), Contains("revoked"));
  }
  CHECK(stack.metric("gpt_adapter_api_auth_failures_total", {{"reason", "revoked"}}) == 5);
  // The limit of 2 per minute is untouched by the five refusals.
  const auto first = me(stack, valid);
  REQUIRE(first.status == 200);
  CHECK_THAT(first.header("ratelimit"), Contains("r=1"));
  CHECK(me(stack, valid).status == 200);
  CHECK(me(stack, valid).status == 429);

  // Without Redis the deny-list cannot be read: the token passes (counted), limited per process.
  stack.redis.stop();
  CHECK(wait_until([&] { return me(stack, revoked).status == 200; }, 10s, 50ms));
  CHECK(stack.metric("gpt_adapter_token_revocation_check_failures_total") > 0);
}
