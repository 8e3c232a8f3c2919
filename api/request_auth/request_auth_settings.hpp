#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/config/env_reader.hpp"

namespace gpt_adapter::api::request_auth {

// What the rate limiter does while Redis, which holds the global per-application counters, is
// unreachable.
enum class rate_limit_fail_mode {
  // Keep serving under the same limit counted by this process alone: a caller spread over n
  // replicas may get up to n times its limit until Redis is back.
  open,
  // Refuse every request on a limited route with 503 until Redis is back.
  closed,
};

struct request_auth_settings {
  // The `realm` of WWW-Authenticate challenges.
  std::string realm = "gpt-adapter";  // AUTH_REALM
  // How long an application's cached state may be used without hearing about a change: the
  // bound on staleness should an invalidation message be lost.
  std::chrono::milliseconds application_cache_ttl{30000};  // APPLICATION_CACHE_TTL_MS
  // The same for API keys (a revocation publishes an invalidation too).
  std::chrono::milliseconds api_key_cache_ttl{30000};  // API_KEY_CACHE_TTL_MS
  // The same for end users' status (disabling one publishes an invalidation too).
  std::chrono::milliseconds end_user_cache_ttl{30000};  // END_USER_CACHE_TTL_MS
  // How many verified access tokens to keep (about 0.5 KiB each) so that a token presented again
  // is not verified again; 0 verifies every request's token.
  std::size_t access_token_cache_entries = 100000;              // ACCESS_TOKEN_CACHE_ENTRIES
  rate_limit_fail_mode fail_mode = rate_limit_fail_mode::open;  // RATE_LIMIT_FAIL_MODE
  // Whether an access token issued for one front door (the Actions API or the MCP endpoint) is
  // accepted at the other, and API keys at /mcp. Off: each resource takes only its own tokens.
  bool doors_share_tokens = false;  // MCP_SHARE_TOKENS_WITH_ACTIONS
};

// Throws config::config_error naming the variable.
request_auth_settings read_request_auth_settings(const config::env_reader& env);

}  // namespace gpt_adapter::api::request_auth
