#include "api/request_auth/verified_token_cache.hpp"

#include <algorithm>

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

// Bounds how long an entry may be kept whatever its exp says (this server's tokens live far
// less), so that an absurd exp cannot overflow the deadline's arithmetic.
constexpr std::chrono::seconds longest_kept = std::chrono::hours(24);

}  // namespace

verified_token_cache::verified_token_cache(const auth::key_set& keys,
                                           const auth::access_token_settings& settings,
                                           std::size_t max_entries, metrics::registry& metrics)
    : keys_(keys),
      settings_(settings),
      max_entries_(max_entries),
      by_digest_(max_entries),
      not_kept_(metrics
                    .add_counter("gpt_adapter_access_token_cache_full_total",
                                 "Verified access tokens not cached because the cache held "
                                 "ACCESS_TOKEN_CACHE_ENTRIES unexpired tokens.")
                    .get()),
      lookups_(
          metrics, "gpt_adapter_access_token_cache_lookups_total",
          "Access-token verifications by request authorization: hit (verified before, claims from "
          "memory) or miss (signature and claims checked).") {}

auth::value_or_error<access_token_claims_ptr, auth::token_failure> verified_token_cache::verify(
    std::string_view token, std::chrono::sys_seconds now) {
  // Not when off, nor for a token too long to be verified (refused by verify_access_token before
  // it decodes anything, and not worth hashing).
  const bool cacheable = max_entries_ > 0 && token.size() <= settings_.max_token_bytes;
  const auto steady_now = std::chrono::steady_clock::now();
  std::string digest;
  decltype(by_digest_)::lookup cached;
  if (cacheable) {
    digest = auth::sha256_digest(token);
    cached = by_digest_.find(digest, steady_now);
    if (cached.value && !auth::has_expired(settings_, (*cached.value)->expires_at, now)) {
      lookups_.hit.inc();
      return std::move(*cached.value);
    }
  }
  lookups_.miss.inc();
  auto verified = auth::verify_access_token(keys_, settings_, token, now);
  if (!verified) {
    return verified.error();
  }
  auto claims = std::make_shared<const auth::access_token_claims>(std::move(verified).value());
  const auto kept_for =
      std::min(claims->expires_at - now, std::chrono::sys_seconds::duration(longest_kept)) +
      settings_.leeway;
  if (cacheable && !by_digest_.store(std::move(digest), claims, steady_now + kept_for,
                                     cached.generation, steady_now)) {
    not_kept_.inc();
  }
  return claims;
}

}  // namespace gpt_adapter::api::request_auth
