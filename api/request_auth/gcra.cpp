#include "api/request_auth/gcra.hpp"

#include <algorithm>
#include <cmath>

namespace gpt_adapter::api::request_auth {
namespace {

// Absorbs the rounding of fractional emission intervals (60000 ms / 7), so that exactly `limit`
// requests fit in a burst.
constexpr double tolerance_ms = 1e-6;

std::int64_t ceil_seconds(std::chrono::milliseconds duration) {
  return (duration.count() + 999) / 1000;
}

}  // namespace

gcra_result gcra_apply(std::optional<double> tat_ms, double now_ms, std::int64_t limit,
                       std::chrono::milliseconds window) {
  const double window_ms = static_cast<double>(window.count());
  const double interval = window_ms / static_cast<double>(limit);
  const double tat = std::max(tat_ms.value_or(now_ms), now_ms);
  const double next_tat = tat + interval;
  const double allowed_from = next_tat - window_ms;
  auto millis = [](double value) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(value - tolerance_ms)));
  };
  gcra_result result;
  result.decision.limit = limit;
  if (allowed_from > now_ms + tolerance_ms) {
    result.tat_ms = tat;
    result.decision.allowed = false;
    result.decision.remaining = 0;
    result.decision.reset = millis(tat - now_ms);
    result.decision.retry_after = millis(allowed_from - now_ms);
    return result;
  }
  result.tat_ms = next_tat;
  result.decision.allowed = true;
  result.decision.remaining =
      static_cast<std::int64_t>(std::floor((now_ms - allowed_from) / interval + tolerance_ms));
  result.decision.reset = millis(next_tat - now_ms);
  return result;
}

std::string ratelimit_policy_header(std::int64_t limit, std::chrono::seconds window) {
  return "\"default\";q=" + std::to_string(limit) + ";w=" + std::to_string(window.count());
}

std::string ratelimit_header(const rate_limit_decision& decision) {
  return "\"default\";r=" + std::to_string(decision.remaining) +
         ";t=" + std::to_string(ceil_seconds(decision.reset));
}

std::int64_t retry_after_seconds(const rate_limit_decision& decision) {
  return std::max<std::int64_t>(1, ceil_seconds(decision.retry_after));
}

}  // namespace gpt_adapter::api::request_auth
