#include <chrono>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "api/request_auth/bearer_challenge.hpp"
#include "api/request_auth/gcra.hpp"
#include "api/request_auth/request_auth_settings.hpp"
#include "common/auth/api_key.hpp"

using namespace gpt_adapter::api::request_auth;
using namespace std::chrono_literals;
namespace auth = gpt_adapter::auth;
namespace config = gpt_adapter::config;

namespace {

// Applies `count` requests at `now_ms` and returns how many were allowed.
int allowed_of(std::optional<double>& tat, double now_ms, int count, std::int64_t limit) {
  int allowed = 0;
  for (int i = 0; i < count; ++i) {
    const auto result = gcra_apply(tat, now_ms, limit, 60s);
    tat = result.tat_ms;
    allowed += result.decision.allowed ? 1 : 0;
  }
  return allowed;
}

config::env_reader env_of(std::map<std::string, std::string> values) {
  return config::env_reader(config::env_source::from_map(std::move(values)));
}

}  // namespace

TEST_CASE("request_auth gcra: a fresh application gets its whole limit as a burst, then waits",
          "[request_auth][gcra]") {
  std::optional<double> tat;
  const double now = 1'000'000;
  const auto first = gcra_apply(tat, now, 100, 60s);
  CHECK(first.decision.allowed);
  CHECK(first.decision.limit == 100);
  CHECK(first.decision.remaining == 99);
  CHECK(first.decision.reset == 600ms);
  CHECK(first.decision.retry_after == 0ms);
  tat = first.tat_ms;
  CHECK(allowed_of(tat, now, 99, 100) == 99);

  const auto refused = gcra_apply(tat, now, 100, 60s);
  CHECK_FALSE(refused.decision.allowed);
  CHECK(refused.decision.remaining == 0);
  CHECK(refused.decision.retry_after == 600ms);
  CHECK(refused.decision.reset == 60000ms);
  CHECK(refused.tat_ms == *tat);  // a refusal costs nothing

  // One emission interval later exactly one more request fits.
  CHECK(allowed_of(tat, now + 600, 2, 100) == 1);
}

TEST_CASE("request_auth gcra: fractional intervals still allow exactly the limit",
          "[request_auth][gcra]") {
  for (const std::int64_t limit : {1, 3, 7, 13, 99, 100000}) {
    std::optional<double> tat;
    CHECK(allowed_of(tat, 5'000'000, static_cast<int>(limit) + 5, limit) == limit);
  }
}

TEST_CASE("request_auth gcra: an idle application recovers its full quota, not more",
          "[request_auth][gcra]") {
  std::optional<double> tat;
  CHECK(allowed_of(tat, 0, 10, 10) == 10);
  CHECK(allowed_of(tat, 600'000, 20, 10) == 10);
  const auto after_a_while = gcra_apply(tat, 10'000'000, 10, 60s);
  CHECK(after_a_while.decision.remaining == 9);
}

TEST_CASE("request_auth gcra: RateLimit headers in the IETF draft's structured-field form",
          "[request_auth][gcra]") {
  CHECK(ratelimit_policy_header(100, 60s) == "\"default\";q=100;w=60");
  CHECK(ratelimit_header({.allowed = true, .limit = 100, .remaining = 42, .reset = 2001ms}) ==
        "\"default\";r=42;t=3");
  CHECK(ratelimit_header({.allowed = true, .limit = 100, .remaining = 99, .reset = 0ms}) ==
        "\"default\";r=99;t=0");
  CHECK(retry_after_seconds({.retry_after = 1ms}) == 1);
  CHECK(retry_after_seconds({.retry_after = 0ms}) == 1);
  CHECK(retry_after_seconds({.retry_after = 2500ms}) == 3);
}

TEST_CASE("request_auth bearer: the Authorization header is read as RFC 6750 and 7235 say",
          "[request_auth][bearer]") {
  using state = bearer_header::state;
  CHECK(parse_bearer_header(std::nullopt).kind == state::absent);
  CHECK(parse_bearer_header("Basic dXNlcjpwYXNz").kind == state::absent);
  CHECK(parse_bearer_header("Bearer").kind == state::malformed);
  CHECK(parse_bearer_header("Bearer ").kind == state::malformed);
  CHECK(parse_bearer_header("Bearer a b").kind == state::malformed);
  CHECK(parse_bearer_header("Bearer a\"b").kind == state::malformed);
  CHECK(parse_bearer_header("Bearer ===").kind == state::malformed);
  const auto token = parse_bearer_header("bEaReR   eyJhbGciOi.eyJzdWIi.c2ln_-~+/== ");
  CHECK(token.kind == state::present);
  CHECK(token.token == "eyJhbGciOi.eyJzdWIi.c2ln_-~+/==");
  CHECK(parse_bearer_header("Bearer gpta_sk_abc").token == "gpta_sk_abc");
}

TEST_CASE("request_auth bearer: challenges carry the error only when a credential was offered",
          "[request_auth][bearer]") {
  CHECK(bearer_challenge("gpt-adapter") == "Bearer realm=\"gpt-adapter\"");
  CHECK(bearer_challenge("gpt-adapter", "invalid_token", "The access token expired.") ==
        "Bearer realm=\"gpt-adapter\", error=\"invalid_token\", "
        "error_description=\"The access token expired.\"");
  CHECK(bearer_challenge("r", "insufficient_scope", "needs \"x\"", "memories:write") ==
        "Bearer realm=\"r\", error=\"insufficient_scope\", error_description=\"needs ?x?\", "
        "scope=\"memories:write\"");
  // MCP clients find the authorization server through the resource metadata (RFC 9728 §5.1).
  CHECK(bearer_challenge("r", {}, {}, {},
                         "https://a.example/.well-known/oauth-protected-resource/mcp") ==
        "Bearer realm=\"r\", resource_metadata=\"https://a.example/.well-known/"
        "oauth-protected-resource/mcp\"");
}

TEST_CASE("request_auth api keys: recognisable prefix, shape check and display prefix",
          "[request_auth][api_key]") {
  const auto key = auth::generate_api_key();
  CHECK(key.starts_with("gpta_sk_"));
  CHECK(key.size() == 8 + 43);
  CHECK(auth::is_api_key_shaped(key));
  CHECK(auth::generate_api_key() != key);
  CHECK(auth::api_key_display_prefix(key) == key.substr(0, 12));
  CHECK_FALSE(auth::is_api_key_shaped("gpta_sk_short"));
  CHECK_FALSE(auth::is_api_key_shaped(key + "x"));
  CHECK_FALSE(auth::is_api_key_shaped("gpta_xx_" + key.substr(8)));
  CHECK_FALSE(auth::is_api_key_shaped(key.substr(0, key.size() - 1) + "="));
}

TEST_CASE("request_auth settings: defaults, and every bad value names its variable",
          "[request_auth][config]") {
  const auto defaults = read_request_auth_settings(env_of({}));
  CHECK(defaults.realm == "gpt-adapter");
  CHECK(defaults.application_cache_ttl == 30s);
  CHECK(defaults.api_key_cache_ttl == 30s);
  CHECK(defaults.end_user_cache_ttl == 30s);
  CHECK(defaults.access_token_cache_entries == 100000);
  CHECK(defaults.fail_mode == rate_limit_fail_mode::open);

  const auto custom = read_request_auth_settings(env_of({{"RATE_LIMIT_FAIL_MODE", "closed"},
                                                         {"APPLICATION_CACHE_TTL_MS", "5000"},
                                                         {"END_USER_CACHE_TTL_MS", "2000"},
                                                         {"ACCESS_TOKEN_CACHE_ENTRIES", "0"},
                                                         {"AUTH_REALM", "memories"}}));
  CHECK(custom.fail_mode == rate_limit_fail_mode::closed);
  CHECK(custom.application_cache_ttl == 5s);
  CHECK(custom.end_user_cache_ttl == 2s);
  CHECK(custom.access_token_cache_entries == 0);
  CHECK(custom.realm == "memories");

  CHECK_THROWS_WITH(read_request_auth_settings(env_of({{"RATE_LIMIT_FAIL_MODE", "maybe"}})),
                    Catch::Contains("RATE_LIMIT_FAIL_MODE"));
  CHECK_THROWS_WITH(read_request_auth_settings(env_of({{"AUTH_REALM", "a\"b"}})),
                    Catch::Contains("AUTH_REALM"));
  CHECK_THROWS_WITH(read_request_auth_settings(env_of({{"API_KEY_CACHE_TTL_MS", "0"}})),
                    Catch::Contains("API_KEY_CACHE_TTL_MS"));
  CHECK_THROWS_WITH(read_request_auth_settings(env_of({{"END_USER_CACHE_TTL_MS", "700000"}})),
                    Catch::Contains("END_USER_CACHE_TTL_MS"));
  CHECK_THROWS_WITH(read_request_auth_settings(env_of({{"ACCESS_TOKEN_CACHE_ENTRIES", "-1"}})),
                    Catch::Contains("ACCESS_TOKEN_CACHE_ENTRIES"));
  CHECK_THROWS_WITH(read_request_auth_settings(env_of({{"ACCESS_TOKEN_CACHE_ENTRIES", "many"}})),
                    Catch::Contains("ACCESS_TOKEN_CACHE_ENTRIES"));
}
