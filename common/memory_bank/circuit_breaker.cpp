#include "common/memory_bank/circuit_breaker.hpp"

#include <algorithm>

namespace gpt_adapter::memory_bank {
namespace {

using std::chrono::milliseconds;

// While a trial is out, other callers are told to come back after this (or after the open
// duration, when shorter): the trial itself ends within the client's request timeout.
constexpr milliseconds busy_trial_retry_after{1000};

milliseconds ceil_millis(std::chrono::steady_clock::duration duration) {
  return std::chrono::ceil<milliseconds>(std::max(duration, std::chrono::steady_clock::duration{}));
}

}  // namespace

std::string_view to_string(circuit_state state) {
  switch (state) {
    case circuit_state::closed:
      return "closed";
    case circuit_state::open:
      return "open";
    case circuit_state::half_open:
      return "half_open";
  }
  return "unknown";
}

circuit_breaker::circuit_breaker(breaker_settings settings, std::function<clock::time_point()> now)
    : settings_(settings), now_(std::move(now)) {}

circuit_breaker::permit circuit_breaker::acquire() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  switch (state_) {
    case circuit_state::closed:
      return {.allowed = true};
    case circuit_state::open: {
      const auto trial_at = opened_at_ + settings_.open_duration;
      if (now < trial_at) {
        return {.retry_after = ceil_millis(trial_at - now)};
      }
      state_ = circuit_state::half_open;
      trial_started_ = now;
      return {.allowed = true, .trial = true};
    }
    case circuit_state::half_open:
      if (!trial_started_ || now - *trial_started_ >= settings_.open_duration) {
        trial_started_ = now;
        return {.allowed = true, .trial = true};
      }
      return {.retry_after = std::min(busy_trial_retry_after, settings_.open_duration)};
  }
  return {};
}

void circuit_breaker::record_success(const permit& call) {
  std::lock_guard lock(mutex_);
  if (call.trial && state_ == circuit_state::half_open) {
    state_ = circuit_state::closed;
    trial_started_.reset();
    failures_in_a_row_ = 0;
    buckets_.clear();
  } else if (state_ == circuit_state::closed) {
    failures_in_a_row_ = 0;
    count(now_(), false);
  }
}

void circuit_breaker::record_failure(const permit& call) {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  if (call.trial && state_ == circuit_state::half_open) {
    open(now);
  } else if (state_ == circuit_state::closed) {
    ++failures_in_a_row_;
    count(now, true);
    if (failures_in_a_row_ >= settings_.consecutive_failures || rate_exceeded(now)) {
      open(now);
    }
  }
}

circuit_state circuit_breaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::chrono::milliseconds circuit_breaker::time_until_trial() const {
  std::lock_guard lock(mutex_);
  if (state_ != circuit_state::open) {
    return milliseconds{0};
  }
  return ceil_millis(opened_at_ + settings_.open_duration - now_());
}

std::uint64_t circuit_breaker::openings() const {
  std::lock_guard lock(mutex_);
  return openings_;
}

void circuit_breaker::open(clock::time_point at) {
  state_ = circuit_state::open;
  opened_at_ = at;
  trial_started_.reset();
  failures_in_a_row_ = 0;
  buckets_.clear();
  ++openings_;
}

void circuit_breaker::count(clock::time_point at, bool failed) {
  const auto width = std::max<clock::duration>(settings_.window / 10, milliseconds{1});
  while (!buckets_.empty() && buckets_.front().start + settings_.window <= at) {
    buckets_.pop_front();
  }
  if (buckets_.empty() || at - buckets_.back().start >= width) {
    buckets_.push_back({.start = at});
  }
  ++buckets_.back().calls;
  buckets_.back().failures += failed ? 1 : 0;
}

bool circuit_breaker::rate_exceeded(clock::time_point at) {
  int calls = 0;
  int failures = 0;
  for (const auto& slot : buckets_) {
    if (slot.start + settings_.window > at) {
      calls += slot.calls;
      failures += slot.failures;
    }
  }
  return calls >= settings_.minimum_calls &&
         static_cast<double>(failures) >= settings_.failure_rate * static_cast<double>(calls);
}

}  // namespace gpt_adapter::memory_bank
