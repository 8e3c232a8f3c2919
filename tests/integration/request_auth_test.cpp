#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/request_auth/request_authorization.hpp"
#include "common/auth/access_token.hpp"
#include "common/auth/base64.hpp"
#include "common/auth/secret_hash.hpp"
#include "common/http/server.hpp"
#include "common/service/dependencies.hpp"
#include "tests/support/access_tokens.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/test_keys.hpp"

using Catch::Matchers::Contains;
using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

const std::string issuer = "https://adapter.test";
const std::string audience = "https://adapter.test/api";
const auth::access_token_settings token_settings{issuer, audience};

// PostgreSQL with the schema migrated and the runtime role granted, a Redis, and the real
// gpt-adapter-admin to manage applications and keys as an operator would; each test starts its
// API processes itself.
api_stack_options auth_stack_options() {
  return {.environment = {{"JWT_ISSUER", issuer},
                          {"JWT_AUDIENCE", audience},
                          // Far longer than any test: what makes replicas notice a change is the
                          // invalidation.
                          {"APPLICATION_CACHE_TTL_MS", "600000"},
                          {"API_KEY_CACHE_TTL_MS", "600000"}},
          .api = false};
}

std::int64_t token_version(const api_stack& stack, const std::string& client_id) {
  return stack.admin_json({"app", "show", client_id}).at("token_version").as_int64();
}

// Subscribers on the invalidation channel, as Redis counts them.
int invalidation_subscribers(const api_stack& stack) {
  const auto answer = redis_commands(stack.redis.port())
                          .run({"PUBSUB", "NUMSUB", "{gpt-adapter}:app-invalidations"});
  return static_cast<int>(answer.as_array().at(1).as_integer());
}

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

std::vector<std::string> strings_of(const json::value& value) {
  std::vector<std::string> strings;
  for (const auto& item : value.as_array()) {
    strings.emplace_back(item.as_string());
  }
  return strings;
}

using strings = std::vector<std::string>;

// A token as the token endpoint would issue it.
std::string mint(const auth::key_set& keys, const std::string& subject,
                 const std::string& client_id, auth::scope_set scopes, std::int64_t version) {
  return mint_access_token(keys, token_settings, subject, client_id, std::move(scopes), version);
}

// A payload as encode_access_token writes it, to be altered by a test.
json::object claims_json(const std::string& client_id, std::int64_t version) {
  const auto seconds = now_in_seconds().time_since_epoch().count();
  return {{"iss", issuer},          {"aud", audience},          {"sub", client_id},
          {"client_id", client_id}, {"scope", "memories:read"}, {"jti", auth::random_token(16)},
          {"iat", seconds},         {"exp", seconds + 3600},    {"ver", version},
          {"token_use", "access"}};
}

http_reply me(unsigned short port, const std::string& credential) {
  return http_request(
      port, {.target = "/api/v1/me", .headers = {{"Authorization", "Bearer " + credential}}});
}

}  // namespace

TEST_CASE("request auth: /api/v1/me and every JWT attack against a protected route",
          "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application("Memory GPT", {"--rate-limit", "1000"});
  const auto app_id = app.id;
  const auto client_id = app.client_id;
  const auto version = app.token_version;
  service_process api(api_binary, stack.environment(), "API_PORT");
  REQUIRE(api.wait_healthy(30s));
  const auto keys = test_hmac_keys();

  SECTION("a client-credentials token: the application, no end user, its scopes and limit") {
    const auto token =
        mint(keys, client_id, client_id, {"memories:read", "memories:write"}, version);
    const auto reply = me(api.port(), token);
    REQUIRE(reply.status == 200);
    // Presented again, the token is not verified again: its claims come from memory.
    CHECK(me(api.port(), token).status == 200);
    CHECK(scraped_metric(api.port(), "gpt_adapter_access_token_cache_lookups_total",
                         {{"result", "hit"}}) == 1);
    CHECK(scraped_metric(api.port(), "gpt_adapter_access_token_cache_lookups_total",
                         {{"result", "miss"}}) == 1);
    CHECK(reply.header("cache-control") == "no-store");
    CHECK(reply.header("ratelimit-policy") == "\"default\";q=1000;w=60");
    CHECK_THAT(reply.header("ratelimit"), Contains("\"default\";r=999;t="));
    const auto body = reply.json().as_object();
    CHECK(text_of(body.at("application").as_object(), "id") == app_id);
    CHECK(text_of(body.at("application").as_object(), "client_id") == client_id);
    CHECK(text_of(body.at("application").as_object(), "name") == "Memory GPT");
    CHECK(body.at("end_user").is_null());
    CHECK(strings_of(body.at("scopes")) == strings{"memories:read", "memories:write"});
    CHECK(text_of(body, "credential") == "access_token");
    CHECK(body.at("rate_limit").as_object().at("limit").as_int64() == 1000);
    CHECK(body.at("rate_limit").as_object().at("window_seconds").as_int64() == 60);
  }

  SECTION("a token from the sign-in flow names its end user; only memories:read is enough") {
    const auto end_user_id = stack.insert_end_user("erin", "erin's long password");
    const auto reply =
        me(api.port(), mint(keys, end_user_id, client_id, {"memories:read"}, version));
    REQUIRE(reply.status == 200);
    const auto body = reply.json().as_object();
    CHECK(text_of(body.at("end_user").as_object(), "id") == end_user_id);
    CHECK(strings_of(body.at("scopes")) == strings{"memories:read"});
  }

  SECTION("no credential: 401 with a challenge that has no error code (RFC 6750 §3.1)") {
    const auto reply = http_get(api.port(), "/api/v1/me");
    check_problem(reply, 401);
    CHECK(reply.header("www-authenticate") == "Bearer realm=\"gpt-adapter\"");
    const auto basic = http_request(
        api.port(),
        {.target = "/api/v1/me", .headers = {{"Authorization", "Basic Y2xpZW50OnNlY3JldA=="}}});
    CHECK(basic.header("www-authenticate") == "Bearer realm=\"gpt-adapter\"");
  }

  SECTION("every forged, stale or misdirected token is refused as invalid_token") {
    const auto claims = claims_json(client_id, version);
    const auto valid = signed_with(keys, claims);
    REQUIRE(me(api.port(), valid).status == 200);  // the baseline the attacks alter
    const auto dot = valid.find('.');
    const auto last_dot = valid.rfind('.');
    const auto header = valid.substr(0, dot);
    const auto payload = valid.substr(dot + 1, last_dot - dot - 1);
    const auto signature = valid.substr(last_dot + 1);

    std::map<std::string, std::string> attacks;
    attacks["alg none"] =
        auth::encode_base64url(R"({"alg":"none","typ":"JWT","kid":"hs256"})") + "." + payload + ".";
    attacks["alg none, signature kept"] =
        auth::encode_base64url(R"({"alg":"none","typ":"JWT","kid":"hs256"})") + "." + payload +
        "." + signature;
    auto expired = claims;
    expired["iat"] = claims.at("iat").as_int64() - 7200;
    expired["exp"] = claims.at("iat").as_int64() - 3600;
    attacks["expired"] = signed_with(keys, expired);
    auto early = claims;
    early["nbf"] = claims.at("iat").as_int64() + 3600;
    attacks["not yet valid"] = signed_with(keys, early);
    auto wrong_audience = claims;
    wrong_audience["aud"] = "https://someone-else.test/api";
    attacks["wrong audience"] = signed_with(keys, wrong_audience);
    auto wrong_issuer = claims;
    wrong_issuer["iss"] = "https://evil.test";
    attacks["wrong issuer"] = signed_with(keys, wrong_issuer);
    auto escalated = claims;
    escalated["scope"] = "memories:read memories:write";
    attacks["tampered payload"] =
        header + "." + auth::encode_base64url(json::serialize(escalated)) + "." + signature;
    auto flipped = signature;
    flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
    attacks["tampered signature"] = header + "." + payload + "." + flipped;
    attacks["signed with another secret"] =
        signed_with(auth::key_set({auth::signing_key::hs256(test_hmac_kid, std::string(40, 'x'))},
                                  test_hmac_kid),
                    claims);
    attacks["refresh token (opaque) as access token"] = auth::random_token(32);
    auto refresh = claims;
    refresh["token_use"] = "refresh";
    attacks["refresh-use JWT as access token"] = signed_with(keys, refresh);
    attacks["oversized"] = header + "." + std::string(5000, 'A') + "." + signature;

    for (const auto& [name, token] : attacks) {
      INFO(name);
      check_invalid_token(me(api.port(), token), token);
    }
    CHECK_THAT(me(api.port(), attacks.at("expired")).header("www-authenticate"),
               Contains("expired"));
    CHECK(scraped_metric(api.port(), "gpt_adapter_api_auth_failures_total",
                         {{"reason", "expired"}}) >= 1);
    CHECK(scraped_metric(api.port(), "gpt_adapter_api_auth_failures_total",
                         {{"reason", "bad_signature"}}) >= 1);
    CHECK(scraped_metric(api.port(), "gpt_adapter_api_auth_failures_total",
                         {{"reason", "wrong_audience"}}) >= 1);
    CHECK(api.output().find(payload) == std::string::npos);  // tokens never reach the log
  }

  SECTION("a token older than a secret reset, and one of a disabled application") {
    const auto before_reset = mint(keys, client_id, client_id, {"memories:read"}, version);
    REQUIRE(me(api.port(), before_reset).status == 200);
    REQUIRE(stack.admin({"app", "reset-secret", client_id}).status == 0);
    const auto new_version = token_version(stack, client_id);
    REQUIRE(new_version > version);
    REQUIRE(wait_until([&] { return me(api.port(), before_reset).status == 401; }, 10s));
    check_invalid_token(me(api.port(), before_reset), before_reset);
    CHECK_THAT(me(api.port(), before_reset).header("www-authenticate"), Contains("revoked"));
    const auto after_reset = mint(keys, client_id, client_id, {"memories:read"}, new_version);
    CHECK(me(api.port(), after_reset).status == 200);

    REQUIRE(stack.admin({"app", "update", client_id, "--status", "disabled"}).status == 0);
    const auto disabled_version = token_version(stack, client_id);
    REQUIRE(wait_until([&] { return me(api.port(), after_reset).status == 401; }, 10s));
    // Even a token carrying the current version is refused while the application is disabled.
    const auto current = mint(keys, client_id, client_id, {"memories:read"}, disabled_version);
    const auto reply = me(api.port(), current);
    check_invalid_token(reply, current);
    CHECK_THAT(reply.header("www-authenticate"), Contains("disabled"));
  }

  SECTION("a token of a client that does not exist") {
    const auto token = mint(keys, "gpta_nobody", "gpta_nobody", {"memories:read"}, 1);
    check_invalid_token(me(api.port(), token), token);
  }
}

TEST_CASE("request auth: RS256 tokens, and an HS256 token keyed with the RSA public key",
          "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application("rsa");
  const auto client_id = app.client_id;
  const auto version = app.token_version;
  temp_dir dir("request-auth-keys");
  const auto pem = generate_rsa_private_key_pem();
  { std::ofstream(dir.path() / "signing.pem") << pem; }
  service_process api(
      api_binary,
      stack.environment({{"JWT_ALGORITHM", "RS256"},
                         {"JWT_KEY_ID", "rs-test"},
                         {"JWT_PRIVATE_KEY_FILE", (dir.path() / "signing.pem").string()}}),
      "API_PORT");
  REQUIRE(api.wait_healthy(30s));
  const auth::key_set rsa_keys(
      {auth::signing_key::from_private_pem("rs-test", auth::signing_algorithm::rs256, pem)},
      "rs-test");

  CHECK(me(api.port(), mint(rsa_keys, client_id, client_id, {"memories:read"}, version)).status ==
        200);

  // The classic confusion: the public key (which the JWKS publishes) used as an HMAC secret,
  // under the RSA key's kid.
  const auto public_pem = rsa_keys.active().public_key_pem();
  const auth::key_set confused({auth::signing_key::hs256("rs-test", public_pem)}, "rs-test");
  const auto forged = signed_with(confused, claims_json(client_id, version));
  check_invalid_token(me(api.port(), forged), forged);
  CHECK(scraped_metric(api.port(), "gpt_adapter_api_auth_failures_total",
                       {{"reason", "wrong_algorithm"}}) == 1);
}

TEST_CASE(
    "request auth: API keys are accepted, listed without the secret and revoked at once "
    "on every replica",
    "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application("keyed", {"--scopes", "memories:read,memories:write"});
  const auto client_id = app.client_id;
  service_process first(api_binary, stack.environment(), "API_PORT");
  service_process second(api_binary, stack.environment(), "API_PORT");
  REQUIRE(first.wait_healthy(30s));
  REQUIRE(second.wait_healthy(30s));
  REQUIRE(wait_until([&] { return invalidation_subscribers(stack) == 2; }, 15s, 50ms));

  const auto created = stack
                           .admin_json({"key", "create", "--app", client_id, "--scopes",
                                        "memory:read", "--name", "editor"})
                           .as_object();
  const auto key = text_of(created, "api_key");
  CHECK(key.starts_with("gpta_sk_"));
  CHECK(text_of(created, "key_prefix") == key.substr(0, 12));
  CHECK(strings_of(created.at("scopes")) == strings{"memories:read"});

  for (auto* api : {&first, &second}) {
    const auto reply = me(api->port(), key);
    REQUIRE(reply.status == 200);
    const auto body = reply.json().as_object();
    CHECK(text_of(body, "credential") == "api_key");
    CHECK(text_of(body.at("application").as_object(), "client_id") == client_id);
    CHECK(strings_of(body.at("scopes")) == strings{"memories:read"});
    CHECK(body.at("end_user").is_null());
    CHECK(reply.header("ratelimit-policy") == "\"default\";q=100;w=60");
  }

  const auto listed = stack.admin({"key", "list", "--app", client_id});
  REQUIRE(listed.status == 0);
  CHECK_THAT(listed.out, Contains(key.substr(0, 12)) && Contains("editor"));
  CHECK(listed.out.find(key) == std::string::npos);
  const auto listed_json = json::parse(stack.admin({"key", "list", "--json"}).out).as_array();
  REQUIRE(listed_json.size() == 1);
  CHECK(!listed_json[0].as_object().at("last_used_at").is_null());
  CHECK(json::serialize(listed_json).find(key) == std::string::npos);
  // The table holds the key's SHA-256 and nothing from which the key could be read back.
  CHECK(stack.value("SELECT count(*) FROM custom_gpt_api_keys WHERE key_hash = $1",
                    {auth::sha256_hex(key)}) == "1");
  CHECK(stack.value("SELECT count(*) FROM custom_gpt_api_keys k WHERE strpos(k::text, $1) > 0",
                    {key.substr(12)}) == "0");

  const auto wrong = "gpta_sk_" + std::string(43, 'A');
  check_invalid_token(me(first.port(), wrong), wrong);
  CHECK(scraped_metric(first.port(), "gpt_adapter_api_auth_failures_total",
                       {{"reason", "unknown_api_key"}}) == 1);

  const auto revoked = stack.admin_json({"key", "revoke", text_of(created, "id")}).as_object();
  CHECK(!revoked.at("revoked_at").is_null());
  // The caches would keep the key for ten minutes: only the invalidation can explain this.
  for (auto* api : {&first, &second}) {
    CHECK(wait_until([&] { return me(api->port(), key).status == 401; }, 5s, 20ms));
    check_invalid_token(me(api->port(), key), key);
  }
  CHECK(stack.admin({"key", "revoke", "not-a-key-id"}).status == 1);
}

TEST_CASE(
    "request auth: disabling an application in the admin CLI stops its tokens on every "
    "replica without a restart",
    "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application("to-disable");
  const auto client_id = app.client_id;
  service_process first(api_binary, stack.environment(), "API_PORT");
  service_process second(api_binary, stack.environment(), "API_PORT");
  REQUIRE(first.wait_healthy(30s));
  REQUIRE(second.wait_healthy(30s));
  REQUIRE(wait_until([&] { return invalidation_subscribers(stack) == 2; }, 15s, 50ms));

  const auto token =
      mint(test_hmac_keys(), client_id, client_id, {"memories:read"}, app.token_version);
  // Both replicas now have the application cached (for ten minutes, as configured).
  REQUIRE(me(first.port(), token).status == 200);
  REQUIRE(me(second.port(), token).status == 200);
  CHECK(scraped_metric(first.port(), "gpt_adapter_application_cache_lookups_total",
                       {{"result", "hit"}}) == 0);
  REQUIRE(me(first.port(), token).status == 200);
  CHECK(scraped_metric(first.port(), "gpt_adapter_application_cache_lookups_total",
                       {{"result", "hit"}}) == 1);
  CHECK(scraped_metric(first.port(), "gpt_adapter_application_cache_lookups_total",
                       {{"result", "miss"}}) == 1);

  REQUIRE(stack.admin({"app", "update", client_id, "--status", "disabled"}).status == 0);
  for (auto* api : {&first, &second}) {
    CHECK(wait_until([&] { return me(api->port(), token).status == 401; }, 5s, 20ms));
    CHECK_THAT(me(api->port(), token).header("www-authenticate"), Contains("invalid_token"));
  }

  // A new rate limit reaches the replicas the same way.
  REQUIRE(
      stack.admin({"app", "update", client_id, "--status", "active", "--rate-limit", "7"}).status ==
      0);
  const auto current = mint(test_hmac_keys(), client_id, client_id, {"memories:read"},
                            token_version(stack, client_id));
  CHECK(wait_until([&] { return me(second.port(), current).status == 200; }, 5s, 20ms));
  CHECK(me(second.port(), current).header("ratelimit-policy") == "\"default\";q=7;w=60");
}

TEST_CASE(
    "request auth: one rate limit across two API processes sharing a Redis, and the "
    "fallback while Redis is down",
    "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application("limited", {"--rate-limit", "5"});
  const auto app_id = app.id;
  const auto client_id = app.client_id;
  service_process first(api_binary, stack.environment(), "API_PORT");
  service_process second(api_binary, stack.environment(), "API_PORT");
  REQUIRE(first.wait_healthy(30s));
  REQUIRE(second.wait_healthy(30s));
  for (auto* api : {&first, &second}) {
    REQUIRE(wait_until([&] { return http_get(api->port(), "/health/ready").status == 200; }, 15s,
                       50ms));
  }
  const auto token =
      mint(test_hmac_keys(), client_id, client_id, {"memories:read"}, app.token_version);

  std::vector<http_reply> replies;
  for (int i = 0; i < 8; ++i) {
    replies.push_back(me((i % 2 == 0 ? first : second).port(), token));
  }
  for (int i = 0; i < 5; ++i) {
    INFO("request " << i);
    CHECK(replies[i].status == 200);
    CHECK(replies[i].header("ratelimit-policy") == "\"default\";q=5;w=60");
    CHECK_THAT(replies[i].header("ratelimit"),
               Contains("\"default\";r=" + std::to_string(4 - i) + ";t="));
  }
  for (int i = 5; i < 8; ++i) {
    INFO("request " << i);
    check_problem(replies[i], 429);
    CHECK(replies[i].header("ratelimit-policy") == "\"default\";q=5;w=60");
    CHECK_THAT(replies[i].header("ratelimit"), Contains("\"default\";r=0;t="));
    const auto retry_after = std::stoi(replies[i].header("retry-after"));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 12);
  }
  CHECK(scraped_metric(first.port(), "gpt_adapter_rate_limit_rejections_total",
                       {{"application_id", app_id}}) +
            scraped_metric(second.port(), "gpt_adapter_rate_limit_rejections_total",
                           {{"application_id", app_id}}) ==
        3);
  CHECK(scraped_metric(first.port(), "gpt_adapter_rate_limiter_mode", {{"mode", "global"}}) == 1);

  SECTION("Redis down: each process limits on its own, says so once, and goes back") {
    // Another application, so that the global count above does not interfere.
    const auto other = stack.create_application("fallback", {"--rate-limit", "3"});
    const auto other_token = mint(test_hmac_keys(), other.client_id, other.client_id,
                                  {"memories:read"}, other.token_version);
    REQUIRE(me(first.port(), other_token).status == 200);  // cached before Redis goes
    stack.redis.stop();
    int allowed = 0;
    for (int i = 0; i < 6; ++i) {
      const auto reply = me(first.port(), other_token);
      allowed += reply.status == 200 ? 1 : 0;
      CHECK((reply.status == 200 || reply.status == 429));
      CHECK(reply.header("ratelimit-policy") == "\"default\";q=3;w=60");
    }
    CHECK(allowed == 3);  // a fresh per-process count: the whole quota, then no more
    CHECK(scraped_metric(first.port(), "gpt_adapter_rate_limiter_mode", {{"mode", "local"}}) == 1);
    CHECK(scraped_metric(first.port(), "gpt_adapter_rate_limiter_mode", {{"mode", "global"}}) == 0);
    const auto lines = first.log_lines();
    const auto warnings = std::count_if(lines.begin(), lines.end(), [](const auto& line) {
      return line.at("message").as_string() ==
             "rate limiter cannot reach Redis: counting per process";
    });
    CHECK(warnings == 1);

    stack.redis.start();
    CHECK(wait_until(
        [&] {
          me(first.port(), token);
          return scraped_metric(first.port(), "gpt_adapter_rate_limiter_mode",
                                {{"mode", "global"}}) == 1;
        },
        20s, 100ms));
  }
}

TEST_CASE("request auth: RATE_LIMIT_FAIL_MODE=closed refuses while Redis is down",
          "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application("closed");
  const auto client_id = app.client_id;
  service_process api(api_binary, stack.environment({{"RATE_LIMIT_FAIL_MODE", "closed"}}),
                      "API_PORT");
  REQUIRE(api.wait_healthy(30s));
  const auto token =
      mint(test_hmac_keys(), client_id, client_id, {"memories:read"}, app.token_version);
  REQUIRE(wait_until([&] { return me(api.port(), token).status == 200; }, 15s, 50ms));
  stack.redis.stop();
  const auto reply = me(api.port(), token);
  check_problem(reply, 503);
  CHECK(reply.header("retry-after") == "1");
  CHECK(scraped_metric(api.port(), "gpt_adapter_rate_limiter_mode", {{"mode", "closed"}}) == 1);
  stack.redis.start();
  CHECK(wait_until([&] { return me(api.port(), token).status == 200; }, 20s, 100ms));
}

TEST_CASE("request auth: scopes, the rate limit and handler errors behind protected_route",
          "[integration][request_auth]") {
  api_stack stack{auth_stack_options()};
  const auto app = stack.create_application(
      "scoped", {"--scopes", "memories:read,memories:write", "--rate-limit", "4"});
  const auto client_id = app.client_id;
  const auto version = app.token_version;

  // Declared before the I/O threads, which are joined first: the server and the authorization
  // use both until the last connection is gone.
  metrics::registry registry;
  const auto keys = test_hmac_keys();
  io_threads io(2);
  config::common_settings common;
  common.database.url = stack.database.runtime_url();
  common.database.pool_min = 1;
  common.database.pool_max = 2;
  common.redis.connection = redis::parse_url(stack.redis.url());
  auto dependencies = service::start_dependencies({io.context().get_executor()}, common);
  const auto authorization = api::request_auth::request_authorization::create(
      io.context().get_executor(), {}, keys, token_settings, dependencies,
      redis::parse_url(stack.redis.url()), registry);
  auto routes = std::make_shared<http::router>();
  authorization->add(*routes,
                     {.method = bhttp::verb::post,
                      .pattern = "/api/v1/memories",
                      .required_scope = "memory:write",  // the seeds' alias
                      .handle = [](http::request_context& context,
                                   const api::request_auth::caller_identity& caller)
                          -> boost::asio::awaitable<http::response> {
                        http::response answer{bhttp::status::created, context.message.version()};
                        answer.body() = caller.end_user_id.value_or("none");
                        co_return answer;
                      }});
  authorization->add(
      *routes,
      {.method = bhttp::verb::get,
       .pattern = "/api/v1/memories/{memory_id}",
       .required_scope = "memories:read",
       .handle = [](http::request_context& context, const api::request_auth::caller_identity&)
           -> boost::asio::awaitable<http::response> {
         throw http::problem_error(
             {.status = bhttp::status::not_found,
              .detail = "No memory " + std::string(context.path_param("memory_id"))});
       }});
  CHECK_THROWS_AS(authorization->add(*routes, {.method = bhttp::verb::get,
                                               .pattern = "/admin",
                                               .required_scope = "memories:admin",
                                               .handle = {}}),
                  std::invalid_argument);
  REQUIRE(authorization->requirements().size() == 2);
  CHECK(authorization->requirements()[0].required_scope == "memories:write");
  CHECK(authorization->requirements()[1].pattern == "/api/v1/memories/{memory_id}");

  auto server = std::make_shared<http::server>(
      io.context(), config::http_listener_settings{.host = "127.0.0.1", .port = 0, .threads = 2},
      routes, registry);
  server->start();
  REQUIRE(wait_until([&] { return dependencies.redis->connected(); }, 15s));
  const auto reader_id = stack.insert_end_user("reader", "reader's long password");
  const auto writer_id = stack.insert_end_user("writer", "writer's long password");
  const auto read_only = mint(keys, reader_id, client_id, {"memories:read"}, version);
  const auto writer =
      mint(keys, writer_id, client_id, {"memories:read", "memories:write"}, version);
  auto call = [&](bhttp::verb method, const std::string& target, const std::string& token) {
    return http_request(
        server->port(),
        {.method = method, .target = target, .headers = {{"Authorization", "Bearer " + token}}});
  };

  const auto forbidden = call(bhttp::verb::post, "/api/v1/memories", read_only);
  check_problem(forbidden, 403);
  CHECK(forbidden.header("www-authenticate") ==
        "Bearer realm=\"gpt-adapter\", error=\"insufficient_scope\", error_description=\"This "
        "operation needs the scope memories:write.\", scope=\"memories:write\"");
  CHECK(forbidden.header("ratelimit-policy") == "\"default\";q=4;w=60");
  CHECK(forbidden.json().as_object().at("required_scope").as_string() == "memories:write");

  const auto created = call(bhttp::verb::post, "/api/v1/memories", writer);
  CHECK(created.status == 201);
  CHECK(created.body == writer_id);
  CHECK_THAT(created.header("ratelimit"), Contains("\"default\";r=2;t="));

  const auto missing = call(bhttp::verb::get, "/api/v1/memories/m-1", read_only);
  check_problem(missing, 404);
  CHECK(missing.json().as_object().at("detail").as_string() == "No memory m-1");
  CHECK_THAT(missing.header("ratelimit"), Contains("\"default\";r=1;t="));

  CHECK(call(bhttp::verb::get, "/api/v1/memories/m-2", read_only).status == 404);
  const auto limited = call(bhttp::verb::get, "/api/v1/memories/m-3", read_only);
  check_problem(limited, 429);
  CHECK(!limited.header("retry-after").empty());

  const auto unauthenticated =
      http_request(server->port(), {.method = bhttp::verb::post, .target = "/api/v1/memories"});
  check_problem(unauthenticated, 401);
  CHECK(unauthenticated.header("ratelimit").empty());

  server->shutdown(5s, [] {});
  authorization->stop();
  dependencies.stop();
}
