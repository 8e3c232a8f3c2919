#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>

#include "api/request_auth/gcra.hpp"
#include "api/request_auth/request_auth_settings.hpp"
#include "common/metrics/registry.hpp"
#include "common/redis/client.hpp"

namespace gpt_adapter::api::request_auth {

// Where the limiter counts right now.
enum class limiter_mode {
  global,  // in Redis, shared by every replica
  local,   // Redis unreachable, fail mode open: this process's own count
  closed,  // Redis unreachable, fail mode closed: every request refused
};

std::string_view limiter_mode_name(limiter_mode mode);

// What the limiter says about one request.
struct admission {
  // std::nullopt when the limiter cannot decide (Redis unreachable and fail mode closed): refuse
  // the request.
  std::optional<rate_limit_decision> decision;
  // The caller's access token is on the deny-list of revoked tokens: refuse it (the request was
  // not counted against the limit).
  bool revoked = false;
};

// Per-application rate limits with GCRA. Normally one atomic Lua script in Redis (EVALSHA, EVAL
// when Redis answers NOSCRIPT) holds each application's state, so the limit is global across
// replicas. The same script looks the caller's access token up on the deny-list of revoked
// tokens, so that a request costs one Redis command, not two. While Redis is unreachable the
// limiter degrades as RATE_LIMIT_FAIL_MODE says, logs each change of mode once and shows the mode
// in the gpt_adapter_rate_limiter_mode gauge; it goes back to Redis on the first request that
// reaches it again.
class rate_limiter {
 public:
  rate_limiter(std::shared_ptr<redis::client> redis, rate_limit_fail_mode fail_mode,
               metrics::registry& metrics);

  // One request of `application_id`, whose limit is `limit_per_minute`, made with an access
  // token whose deny-list entry is `denied_token_key` (auth::denied_access_token_key; std::nullopt
  // for an API key). While Redis is unreachable the token counts as not revoked (revoked tokens
  // pass until they expire, rather than every caller being refused) and
  // gpt_adapter_token_revocation_check_failures_total says so. Counts refusals in
  // gpt_adapter_rate_limit_rejections_total.
  boost::asio::awaitable<admission> check(std::string application_id, std::int64_t limit_per_minute,
                                          std::optional<std::string> denied_token_key);

  limiter_mode mode() const { return mode_.load(); }

  // The script, for tests and for reading.
  static const std::string& script();

 private:
  boost::asio::awaitable<admission> check_in_redis(const std::string& application_id,
                                                   std::int64_t limit,
                                                   const std::optional<std::string>& denied_key);
  rate_limit_decision check_locally(const std::string& application_id, std::int64_t limit);
  std::optional<rate_limit_decision> degrade(const std::string& application_id, std::int64_t limit,
                                             const std::string& reason);
  void enter(limiter_mode mode, const std::string& reason);

  std::shared_ptr<redis::client> redis_;
  rate_limit_fail_mode fail_mode_;

  std::mutex local_mutex_;
  std::unordered_map<std::string, double> local_tats_;  // application id -> TAT in ms

  std::mutex mode_mutex_;  // serialises mode changes, so each is logged once
  std::atomic<limiter_mode> mode_{limiter_mode::global};
  std::array<metrics::gauge*, 3> mode_gauges_{};
  metrics::family<metrics::counter>& rejections_;
  metrics::counter& redis_failures_;
  metrics::counter& revocation_check_failures_;
};

}  // namespace gpt_adapter::api::request_auth
