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
    await_event,  // the Memory Bank is still processing: poll its event after `delay`
    dead_letter,  // give up: `reason` says why
  };
  action what = action::succeed;
  std::chrono::milliseconds delay{0};
  std::optional<queue::dead_letter_reason> reason;
  // Recorded on the job for the API: memory_bank_unavailable while the circuit is open,
  // memory_bank_unauthorized while the Memory Bank refuses the credentials.
  std::optional<queue::job_error_code> error_code;
};

// How long a job waits before polling the Memory Bank's event again: `first` after the first
// answer, doubled with each poll up to `longest`.
struct event_polling {
  std::chrono::milliseconds first{500};
  std::chrono::milliseconds longest{8000};
};

std::chrono::milliseconds event_poll_delay(const event_polling& polling, int polls);

std::string_view to_string(job_decision::action what);

// Decides from the Memory Bank's answer. A transient failure or refused credentials are retried
// through `policy`, not sooner than a Retry-After (exhausted or past the deadline: dead letter);
// a rejected call is dead-lettered at once; an open circuit delays the job until the breaker lets
// a trial through (`retry_after`, at least `minimum_delay`) without counting an attempt; an add
// the Memory Bank is still processing waits for its next poll within the same attempt. Any wait
// past the job's deadline dead-letters it instead.
job_decision decide(const queue::job& value, const memory_bank::call_result& result,
                    const queue::retry_policy& policy, queue::time_point now,
                    std::chrono::milliseconds minimum_delay, const event_polling& polling);

// The Memory Bank user a job acts for: its end user, or, for a job with no end user (an API
// key acting for the whole application), the application's own namespace "app:<application_id>",
// which no end user id can equal: end user ids are UUIDs (custom_gpt_end_users.id).
memory_bank::owner job_owner(const queue::job& value);

}  // namespace gpt_adapter::worker
