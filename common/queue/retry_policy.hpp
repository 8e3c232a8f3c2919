#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "common/queue/job.hpp"

namespace gpt_adapter::queue {

// What a failed attempt says about the next one.
enum class error_class { retryable, not_retryable };

// How the worker classifies a Memory Bank answer: timeouts (408), rate limits (429) and server
// errors (5xx) may pass on a later try; any other 4xx will fail the same way again.
error_class classify_memory_bank_status(int http_status);
// A request that never got an HTTP answer (connect, TLS, read failure or timeout).
inline constexpr error_class transport_error_class = error_class::retryable;
// A job whose payload the worker cannot use will never succeed.
inline constexpr error_class invalid_payload_class = error_class::not_retryable;

struct retry_settings {
  int max_attempts = 3;
  std::chrono::milliseconds base_delay = std::chrono::seconds(2);
  std::chrono::milliseconds max_delay = std::chrono::seconds(60);
};

// redelivered: handed out more than JOB_MAX_DELIVERIES times without being settled, e.g. a job
// that crashes every worker that runs it.
enum class dead_letter_reason { exhausted, not_retryable, past_deadline, redelivered };

std::string_view to_string(dead_letter_reason reason);

struct retry_decision {
  // Set when the job runs again: its next attempt becomes due at this time.
  std::optional<time_point> retry_at;
  // Set when the job goes to the dead-letter stream.
  std::optional<dead_letter_reason> dead_letter;

  bool retries() const { return retry_at.has_value(); }
};

// Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff And
// Jitter"): the delay after attempt n is uniform in [0, min(cap, base * 2^(n-1))), which spreads
// the retries of jobs that failed together instead of sending them back in one burst.
class retry_policy {
 public:
  // Returns a number in [0, 1); injected so tests can fix it.
  using random_source = std::function<double()>;

  retry_policy(retry_settings settings, random_source random);

  const retry_settings& settings() const { return settings_; }

  // The upper bound of the delay after the given (1-based) failed attempt.
  std::chrono::milliseconds backoff_ceiling(int attempt) const;
  // A jittered delay after the given failed attempt, in [0, backoff_ceiling(attempt)).
  std::chrono::milliseconds backoff(int attempt) const;

  // What to do after attempt `attempt` failed with an error of class `error` at `now`. A retry
  // that would only become due after the deadline is dead-lettered at once.
  retry_decision decide(int attempt, error_class error, time_point now, time_point deadline) const;

 private:
  retry_settings settings_;
  random_source random_;
};

// A random_source from a std::mt19937_64 seeded from std::random_device, for production.
retry_policy::random_source default_random_source();

}  // namespace gpt_adapter::queue
