#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>

// The Memory Bank circuit breaker: pure state-machine logic with an injected clock, so its
// timing is tested without waiting. It is shared by every client of one Memory Bank host in the
// process (see client.hpp), hence the lock.
namespace gpt_adapter::memory_bank {

enum class circuit_state { closed, open, half_open };

std::string_view to_string(circuit_state state);

struct breaker_settings {
  // Opens after this many failures in a row (seeds: 5).
  int consecutive_failures = 5;
  // Also opens when at least `minimum_calls` calls in the last `window` failed at this rate.
  double failure_rate = 0.5;
  int minimum_calls = 20;
  std::chrono::milliseconds window{60000};
  // Time spent open before one trial call is let through (seeds: 60 s).
  std::chrono::milliseconds open_duration{60000};
};

class circuit_breaker {
 public:
  using clock = std::chrono::steady_clock;

  explicit circuit_breaker(breaker_settings settings,
                           std::function<clock::time_point()> now = &clock::now);

  struct permit {
    bool allowed = false;
    bool trial = false;  // the one call a half-open breaker lets through
    // When refused: how long until a trial could be let through.
    std::chrono::milliseconds retry_after{0};
  };

  // Asks to make a call. Closed: allowed. Open: refused until open_duration has passed, then
  // the breaker half-opens and this caller makes the trial; while a trial is out, others are
  // refused. A trial never reported (its caller vanished) is replaced after open_duration.
  permit acquire();

  // Reports the outcome of an allowed call. A failed trial opens the breaker again for a full
  // open_duration; a successful one closes it and forgets the past failures.
  void record_success(const permit& call);
  void record_failure(const permit& call);

  circuit_state state() const;
  // How long until an open breaker lets a trial through (0 unless open).
  std::chrono::milliseconds time_until_trial() const;
  // How many times the breaker has opened.
  std::uint64_t openings() const;

 private:
  struct bucket {
    clock::time_point start;
    int calls = 0;
    int failures = 0;
  };

  void open(clock::time_point at);
  void count(clock::time_point at, bool failed);
  bool rate_exceeded(clock::time_point at);

  breaker_settings settings_;
  std::function<clock::time_point()> now_;

  mutable std::mutex mutex_;
  circuit_state state_ = circuit_state::closed;
  int failures_in_a_row_ = 0;
  clock::time_point opened_at_{};
  std::optional<clock::time_point> trial_started_;
  std::deque<bucket> buckets_;  // the window in tenths, oldest first
  std::uint64_t openings_ = 0;
};

}  // namespace gpt_adapter::memory_bank
