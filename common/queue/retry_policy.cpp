#include "common/queue/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>

namespace gpt_adapter::queue {

error_class classify_memory_bank_status(int http_status) {
  if (http_status == 408 || http_status == 429 || (http_status >= 500 && http_status <= 599)) {
    return error_class::retryable;
  }
  if (http_status >= 400 && http_status <= 499) {
    return error_class::not_retryable;
  }
  // A failure reported with a status outside 4xx/5xx (a misbehaving proxy or server) says
  // nothing about the request itself, so it is treated like a transport error.
  return transport_error_class;
}

std::string_view to_string(dead_letter_reason reason) {
  switch (reason) {
    case dead_letter_reason::exhausted:
      return "exhausted";
    case dead_letter_reason::not_retryable:
      return "not_retryable";
    case dead_letter_reason::past_deadline:
      return "past_deadline";
    case dead_letter_reason::redelivered:
      return "redelivered";
  }
  return "unknown";
}

retry_policy::retry_policy(retry_settings settings, random_source random)
    : settings_(settings), random_(std::move(random)) {
  if (settings_.max_attempts < 1) {
    throw std::invalid_argument("retry policy: max_attempts must be at least 1");
  }
  if (settings_.base_delay.count() < 0 || settings_.max_delay < settings_.base_delay) {
    throw std::invalid_argument(
        "retry policy: delays must be non-negative and the cap at least the base delay");
  }
  if (!random_) {
    throw std::invalid_argument("retry policy: a random source is required");
  }
}

std::chrono::milliseconds retry_policy::backoff_ceiling(int attempt) const {
  const auto cap = settings_.max_delay;
  const auto base = settings_.base_delay;
  if (base.count() == 0) {
    return base;
  }
  // Double step by step and stop at the cap, so large attempt numbers cannot overflow.
  auto ceiling = base;
  for (int n = 1; n < attempt && ceiling < cap; ++n) {
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  }
  return std::min(ceiling, cap);
}

std::chrono::milliseconds retry_policy::backoff(int attempt) const {
  using rep = std::chrono::milliseconds::rep;
  const double fraction = std::clamp(random_(), 0.0, 1.0);
  const rep ceiling = backoff_ceiling(attempt).count();
  const auto delay = static_cast<rep>(std::floor(fraction * static_cast<double>(ceiling)));
  // A source that returns exactly 1.0 must still stay below the ceiling.
  return std::chrono::milliseconds(std::clamp<rep>(delay, 0, std::max<rep>(ceiling - 1, 0)));
}

retry_decision retry_policy::decide(int attempt, error_class error, time_point now,
                                    time_point deadline) const {
  if (error == error_class::not_retryable) {
    return {.dead_letter = dead_letter_reason::not_retryable};
  }
  if (attempt >= settings_.max_attempts) {
    return {.dead_letter = dead_letter_reason::exhausted};
  }
  const time_point retry_at = now + backoff(attempt);
  if (retry_at >= deadline) {
    return {.dead_letter = dead_letter_reason::past_deadline};
  }
  return {.retry_at = retry_at};
}

retry_policy::random_source default_random_source() {
  struct state {
    std::mutex mutex;
    std::mt19937_64 engine{std::random_device{}()};
    std::uniform_real_distribution<double> distribution{0.0, 1.0};
  };
  auto shared = std::make_shared<state>();
  return [shared] {
    const std::lock_guard lock(shared->mutex);
    return shared->distribution(shared->engine);
  };
}

}  // namespace gpt_adapter::queue
