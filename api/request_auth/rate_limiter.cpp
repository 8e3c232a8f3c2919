#include "api/request_auth/rate_limiter.hpp"

#include <chrono>

#include "common/logging/logger.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;

// The hash tag keeps every key of the project in one Redis Cluster slot.
constexpr std::string_view key_prefix = "{gpt-adapter}:rate-limit:";

// A rate-limit check waits this long for Redis before counting locally: a stalled Redis must not
// stall every request for the client's whole command timeout.
constexpr std::chrono::milliseconds redis_timeout{500};

// Entries whose TAT has passed carry no information; past this many they are swept.
constexpr std::size_t local_sweep_threshold = 10000;

// GCRA as in gcra.cpp, on Redis's own clock (TIME), so replicas with skewed clocks agree.
// KEYS[1] the application's TAT (ms), KEYS[2] (optional) the deny-list entry of the caller's
// access token, ARGV[1] the limit, ARGV[2] the window in ms.
// Returns {allowed, remaining, reset_ms, retry_after_ms, revoked}; a revoked token's request is
// not counted.
const redis::script gcra_script{R"lua(
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, 0, 0, 0, 1}
end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local interval = window / limit
local tolerance = 1e-6
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_from = next_tat - window
if allowed_from > now + tolerance then
  return {0, 0, math.ceil(tat - now - tolerance), math.ceil(allowed_from - now - tolerance), 0}
end
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX',
           math.max(1, math.ceil(next_tat - now)))
return {1, math.floor((now - allowed_from) / interval + tolerance),
        math.ceil(next_tat - now - tolerance), 0, 0}
)lua"};

std::vector<std::string> script_keys(const std::string& application_id,
                                     const std::optional<std::string>& denied_key) {
  std::vector<std::string> keys{std::string(key_prefix) + application_id};
  if (denied_key) {
    keys.push_back(*denied_key);
  }
  return keys;
}

std::vector<std::string> script_args(std::int64_t limit) {
  return {std::to_string(limit),
          std::to_string(std::chrono::milliseconds(rate_limit_window).count())};
}

admission admission_from(const redis::reply& answer, std::int64_t limit) {
  const auto& values = answer.as_array();
  if (values.size() != 5) {
    throw redis::error("the rate-limit script returned " + std::to_string(values.size()) +
                       " values instead of 5");
  }
  return {.decision =
              rate_limit_decision{.allowed = values[0].as_integer() == 1,
                                  .limit = limit,
                                  .remaining = values[1].as_integer(),
                                  .reset = std::chrono::milliseconds(values[2].as_integer()),
                                  .retry_after = std::chrono::milliseconds(values[3].as_integer())},
          .revoked = values[4].as_integer() == 1};
}

}  // namespace

std::string_view limiter_mode_name(limiter_mode mode) {
  switch (mode) {
    case limiter_mode::global:
      return "global";
    case limiter_mode::local:
      return "local";
    case limiter_mode::closed:
      return "closed";
  }
  return "unknown";
}

const std::string& rate_limiter::script() {
  return gcra_script.text();
}

rate_limiter::rate_limiter(std::shared_ptr<redis::client> redis, rate_limit_fail_mode fail_mode,
                           metrics::registry& metrics)
    : redis_(std::move(redis)),
      fail_mode_(fail_mode),
      rejections_(metrics.add_counter("gpt_adapter_rate_limit_rejections_total",
                                      "Requests refused by the per-application rate limit.",
                                      {"application_id"})),
      redis_failures_(metrics
                          .add_counter("gpt_adapter_rate_limiter_redis_failures_total",
                                       "Rate-limit checks that could not reach Redis and were "
                                       "decided by the fail mode.")
                          .get()),
      revocation_check_failures_(
          metrics
              .add_counter("gpt_adapter_token_revocation_check_failures_total",
                           "Access tokens accepted without consulting the revocation deny-list "
                           "because Redis could not be reached.")
              .get()) {
  auto& modes = metrics.add_gauge(
      "gpt_adapter_rate_limiter_mode",
      "1 for the rate limiter's current mode: global (Redis), local (per process, Redis "
      "unreachable) or closed (refusing, Redis unreachable).",
      {"mode"});
  for (const auto mode : {limiter_mode::global, limiter_mode::local, limiter_mode::closed}) {
    mode_gauges_[static_cast<std::size_t>(mode)] =
        &modes.labels({std::string(limiter_mode_name(mode))});
  }
  mode_gauges_[static_cast<std::size_t>(limiter_mode::global)]->set(1);
}

asio::awaitable<admission> rate_limiter::check(std::string application_id,
                                               std::int64_t limit_per_minute,
                                               std::optional<std::string> denied_token_key) {
  std::optional<std::string> failure;
  admission result;
  if (!redis_->connected()) {
    // Not worth waiting for a reconnect on every request: decide at once.
    failure = "Redis is not connected";
  } else {
    try {
      result = co_await check_in_redis(application_id, limit_per_minute, denied_token_key);
      enter(limiter_mode::global, "Redis answers again");
    } catch (const redis::error& error) {
      failure = error.what();
    }
  }
  if (failure) {
    result = {.decision = degrade(application_id, limit_per_minute, *failure)};
    if (denied_token_key) {
      revocation_check_failures_.inc();
    }
  }
  if (result.decision && !result.decision->allowed && !result.revoked) {
    rejections_.labels({application_id}).inc();
  }
  co_return result;
}

asio::awaitable<admission> rate_limiter::check_in_redis(
    const std::string& application_id, std::int64_t limit,
    const std::optional<std::string>& denied_key) {
  const auto answer = co_await redis_->eval(gcra_script, script_keys(application_id, denied_key),
                                            script_args(limit), redis_timeout);
  co_return admission_from(answer, limit);
}

std::optional<rate_limit_decision> rate_limiter::degrade(const std::string& application_id,
                                                         std::int64_t limit,
                                                         const std::string& reason) {
  redis_failures_.inc();
  if (fail_mode_ == rate_limit_fail_mode::closed) {
    enter(limiter_mode::closed, reason);
    return std::nullopt;
  }
  enter(limiter_mode::local, reason);
  return check_locally(application_id, limit);
}

rate_limit_decision rate_limiter::check_locally(const std::string& application_id,
                                                std::int64_t limit) {
  const double now_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  std::lock_guard lock(local_mutex_);
  if (local_tats_.size() > local_sweep_threshold) {
    std::erase_if(local_tats_, [now_ms](const auto& entry) { return entry.second <= now_ms; });
  }
  const auto found = local_tats_.find(application_id);
  const auto result =
      gcra_apply(found == local_tats_.end() ? std::nullopt : std::optional<double>(found->second),
                 now_ms, limit, rate_limit_window);
  local_tats_[application_id] = result.tat_ms;
  return result.decision;
}

void rate_limiter::enter(limiter_mode mode, const std::string& reason) {
  if (mode_.load() == mode) {
    return;
  }
  std::lock_guard lock(mode_mutex_);
  const auto previous = mode_.load();
  if (previous == mode) {
    return;
  }
  mode_.store(mode);
  mode_gauges_[static_cast<std::size_t>(previous)]->set(0);
  mode_gauges_[static_cast<std::size_t>(mode)]->set(1);
  const logging::fields details{
      {"from", limiter_mode_name(previous)}, {"to", limiter_mode_name(mode)}, {"reason", reason}};
  if (mode == limiter_mode::global) {
    logging::info("rate limiter counts in Redis again", details);
  } else if (mode == limiter_mode::local) {
    logging::warn("rate limiter cannot reach Redis: counting per process", details);
  } else {
    logging::error(
        "rate limiter cannot reach Redis: refusing requests (RATE_LIMIT_FAIL_MODE=closed)",
        details);
  }
}

}  // namespace gpt_adapter::api::request_auth
