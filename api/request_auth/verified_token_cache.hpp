#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "common/auth/access_token.hpp"
#include "common/cache/lookup_counters.hpp"
#include "common/cache/ttl_cache.hpp"
#include "common/metrics/registry.hpp"

namespace gpt_adapter::api::request_auth {

using access_token_claims_ptr = std::shared_ptr<const auth::access_token_claims>;

// Access tokens this process has verified, by the SHA-256 of the token, with their claims, until
// they expire: a caller presents the same token on every request for up to its lifetime, and
// checking its signature and claims again each time would be most of what authenticating costs
// (see bench/token-verify.sh). Only the token's own verdict is kept, which cannot change: what can
// (the deny-list of revoked tokens, the application's status and token version, the end user's
// status) is checked on every request after this. Refusals are not kept, so junk cannot fill it;
// at most `max_entries` tokens are (0 turns the cache off). Thread-safe.
class verified_token_cache {
 public:
  verified_token_cache(const auth::key_set& keys, const auth::access_token_settings& settings,
                       std::size_t max_entries, metrics::registry& metrics);

  // What auth::verify_access_token(keys, settings, token, now) answers.
  auth::value_or_error<access_token_claims_ptr, auth::token_failure> verify(
      std::string_view token, std::chrono::sys_seconds now);

 private:
  const auth::key_set& keys_;
  const auth::access_token_settings& settings_;
  const std::size_t max_entries_;
  cache::ttl_cache<access_token_claims_ptr> by_digest_;
  metrics::counter& not_kept_;
  cache::lookup_counters lookups_;
};

}  // namespace gpt_adapter::api::request_auth
