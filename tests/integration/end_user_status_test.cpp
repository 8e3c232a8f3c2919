#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/auth/redis_names.hpp"
#include "common/text/uuid.hpp"
#include "tests/support/access_tokens.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/redis_commands.hpp"

using Catch::Matchers::Contains;
using namespace gpt_adapter;
using namespace gpt_adapter::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string issuer = "https://adapter.test";
const std::string audience = "https://adapter.test/api";
const auth::access_token_settings token_settings{issuer, audience};
const std::string username = "alice";
const std::string password = "correct horse battery";

struct session_tokens {
  std::string access;
  std::string refresh;
};

// Two API replicas on one PostgreSQL and one Redis. The caches outlive any test by far: only the
// invalidations published by gpt-adapter-admin can make a replica notice a change in time.
struct two_replicas {
  api_stack stack{{.environment = {{"JWT_ISSUER", issuer},
                                   {"JWT_AUDIENCE", audience},
                                   {"APPLICATION_CACHE_TTL_MS", "600000"},
                                   {"END_USER_CACHE_TTL_MS", "600000"}}}};
  service_process second{api_binary, stack.environment(), "API_PORT"};
  registered_application client = stack.insert_application("Memories GPT", "memories:read");
  std::string end_user_id = stack.insert_end_user(username, password);

  two_replicas() {
    REQUIRE(second.wait_healthy(30s));
    REQUIRE(wait_until([&] { return end_user_subscribers() == 2; }, 15s, 50ms));
  }

  int end_user_subscribers() const {
    const auto answer =
        redis_commands(stack.redis.port())
            .run({"PUBSUB", "NUMSUB", std::string(auth::end_user_invalidation_channel)});
    return static_cast<int>(answer.as_array().at(1).as_integer());
  }

  std::vector<unsigned short> ports() const { return {stack.port(), second.port()}; }

  // The code flow as ChatGPT drives it.
  session_tokens sign_in(const std::string& with_password) const {
    const auto tokens =
        exchange_code(stack, client, obtain_code(stack, client, username, with_password), 200);
    return {json_text(tokens, "access_token"), json_text(tokens, "refresh_token")};
  }

  // A token of this end user that no session row records, as only the status check can refuse.
  std::string minted_token() const {
    return mint_access_token(test_hmac_keys(), token_settings, end_user_id, client.client_id,
                             {"memories:read"}, client.token_version);
  }
};

http_reply me(unsigned short port, const std::string& token) {
  return http_request(port,
                      {.target = "/api/v1/me", .headers = {{"Authorization", "Bearer " + token}}});
}

bool refused_everywhere(const two_replicas& replicas, const std::string& token) {
  for (const auto port : replicas.ports()) {
    if (me(port, token).status != 401) {
      return false;
    }
  }
  return true;
}

void check_accepted_everywhere(const two_replicas& replicas, const std::string& token) {
  for (const auto port : replicas.ports()) {
    const auto reply = me(port, token);
    INFO("replica on port " << port << ": " << reply.body);
    REQUIRE(reply.status == 200);
    CHECK(reply.json().at("end_user").at("id").as_string() == replicas.end_user_id);
  }
}

// The sign-in form answers again with an error instead of redirecting with a code.
void check_sign_in_refused(const two_replicas& replicas, const std::string& with_password) {
  const auto browser =
      open_authorize_page(replicas.stack.port(), authorize_query(replicas.client, "s-refused"));
  REQUIRE(browser.page.status == 200);
  const auto reply = submit_sign_in(replicas.stack.port(), browser, username, with_password);
  CHECK(reply.status == 200);
  CHECK(reply.header("location").empty());
}

void check_refresh_refused(const two_replicas& replicas, const std::string& refresh_token) {
  const auto answer = refresh(replicas.stack, replicas.client, refresh_token, 400);
  CHECK(json_text(answer, "error") == "invalid_grant");
}

}  // namespace

TEST_CASE(
    "end users: disabling one refuses its tokens on every replica at once, refresh and sign-in "
    "too; enabling lets it sign in again without reviving the old session",
    "[integration][oauth][end_users]") {
  two_replicas replicas;
  const auto session = replicas.sign_in(password);
  const auto& access_token = session.access;
  const auto minted = replicas.minted_token();
  // Both replicas now hold the end user as active in their caches.
  check_accepted_everywhere(replicas, access_token);
  check_accepted_everywhere(replicas, minted);

  const auto disabled = replicas.stack.admin({"user", "disable", username});
  REQUIRE(disabled.status == 0);
  CHECK(disabled.err.empty());

  CHECK(wait_until([&] { return refused_everywhere(replicas, minted); }, 5s, 20ms));
  CHECK(refused_everywhere(replicas, access_token));
  for (const auto port : replicas.ports()) {
    const auto reply = me(port, minted);
    check_invalid_token(reply, minted);
    CHECK_THAT(reply.header("www-authenticate"), Contains("end user"));
  }
  CHECK(replicas.stack.metric("gpt_adapter_api_auth_failures_total",
                              {{"reason", "end_user_disabled"}}) > 0);
  check_refresh_refused(replicas, session.refresh);
  check_sign_in_refused(replicas, password);
  CHECK_FALSE(introspect(replicas.stack, replicas.client, access_token).at("active").as_bool());
  CHECK(replicas.stack.value("SELECT count(*) FROM custom_gpt_sessions WHERE end_user_id = $1 AND "
                             "revoked_reason = 'end user disabled'",
                             {replicas.end_user_id}) != "0");

  REQUIRE(replicas.stack.admin({"user", "enable", username}).status == 0);
  const auto renewed = replicas.sign_in(password);
  // Both replicas had cached the end user as disabled: only the invalidation lets them accept it.
  CHECK(wait_until([&] { return me(replicas.second.port(), renewed.access).status == 200; }, 5s,
                   20ms));
  check_accepted_everywhere(replicas, renewed.access);
  CHECK(refresh(replicas.stack, replicas.client, renewed.refresh, 200).contains("access_token"));
  // Disabling ended the old session for good.
  CHECK(refused_everywhere(replicas, access_token));
  check_refresh_refused(replicas, session.refresh);
}

TEST_CASE("end users: a password reset ends every session signed in with the old password",
          "[integration][oauth][end_users]") {
  two_replicas replicas;
  const std::vector<session_tokens> sessions{replicas.sign_in(password),
                                             replicas.sign_in(password)};
  for (const auto& session : sessions) {
    check_accepted_everywhere(replicas, session.access);
  }

  const std::string new_password = "a new password for alice";
  const auto reset =
      replicas.stack.admin({"user", "reset-password", username, "--password-stdin"}, new_password);
  REQUIRE(reset.status == 0);
  CHECK_THAT(reset.out, Contains("sessions"));

  // On the deny-list before the command returned: no waiting.
  for (const auto& session : sessions) {
    for (const auto port : replicas.ports()) {
      check_invalid_token(me(port, session.access), session.access);
    }
    CHECK_FALSE(introspect(replicas.stack, replicas.client, session.access).at("active").as_bool());
    check_refresh_refused(replicas, session.refresh);
  }
  CHECK(replicas.stack.value("SELECT count(*) FROM custom_gpt_sessions WHERE end_user_id = $1 AND "
                             "revoked_at IS NULL",
                             {replicas.end_user_id}) == "0");

  check_sign_in_refused(replicas, password);
  const auto renewed = replicas.sign_in(new_password);
  check_accepted_everywhere(replicas, renewed.access);
  CHECK(refresh(replicas.stack, replicas.client, renewed.refresh, 200).contains("access_token"));
}

TEST_CASE("end users: a token whose end user does not exist is refused",
          "[integration][oauth][end_users]") {
  two_replicas replicas;
  const auto token = mint_access_token(test_hmac_keys(), token_settings, text::uuid_v4(),
                                       replicas.client.client_id, {"memories:read"},
                                       replicas.client.token_version);
  const auto reply = me(replicas.stack.port(), token);
  check_invalid_token(reply, token);
  CHECK_THAT(reply.header("www-authenticate"), Contains("no longer exists"));
  CHECK(replicas.stack.metric("gpt_adapter_api_auth_failures_total",
                              {{"reason", "unknown_end_user"}}) == 1);
  // A client-credentials token (sub = client_id) concerns no end user.
  const auto application_token = mint_access_token(
      test_hmac_keys(), token_settings, replicas.client.client_id, replicas.client.client_id,
      {"memories:read"}, replicas.client.token_version);
  CHECK(me(replicas.stack.port(), application_token).status == 200);
}
