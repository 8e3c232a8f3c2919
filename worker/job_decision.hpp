#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/memory_bank/client.hpp"
#include "common/queue/job.hpp"
#include "common/queue/job_record.hpp"
#include "common/queue/retry_policy.hpp"

namespace gpt_adapter::worker {

// What the worker does with a job after one attempt: the pure part of the job loop.
struct job_decision {
  enum class action {
    succeed,      // record the result
    fail,         // final without a dead letter: the memory does not exist (404)
    retry,        // the attempt counts; run again after `delay`
    delay,        // circuit open: run again after `delay` with the same attempt number
    dead_letter,  // give up: `reason` says why
  };
  action what = action::succeed;
  std::chrono::milliseconds delay{0};
  std::optional<queue::dead_letter_reason> reason;
  // Recorded on the job for the API: memory_bank_unavailable while the circuit is open.
  std::optional<queue::job_error_code> error_code;
};

std::string_view to_string(job_decision::action what);

// Decides from the Memory Bank's answer. A transient failure is retried through `policy`, not
// sooner than a Retry-After (exhausted or past the deadline: dead letter); a rejected call is
// dead-lettered at once; an open circuit delays the job until the breaker lets a trial through
// (`retry_after`, at least `minimum_delay`) without counting an attempt, unless that is past the
// job's deadline.
job_decision decide(const queue::job& value, const memory_bank::call_result& result,
                    const queue::retry_policy& policy, queue::time_point now,
                    std::chrono::milliseconds minimum_delay);

// The Memory Bank user a job acts for: its end user, or, for a job with no end user (an API
// key acting for the whole application), the application's own namespace "app:<application_id>",
// which no end user id can equal: end user ids are UUIDs (custom_gpt_end_users.id).
memory_bank::owner job_owner(const queue::job& value);

}  // namespace gpt_adapter::worker
