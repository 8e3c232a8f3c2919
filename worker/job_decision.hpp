#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
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

// How often the job's stream entry was handed out (this time included), and the limit
// (JOB_MAX_DELIVERIES) past which it is poison: its workers died running it.
struct delivery_count {
  std::int64_t deliveries = 1;
  std::int64_t max_deliveries = std::numeric_limits<std::int64_t>::max();
};

// Why the attempt must not start (poison, or the deadline already passed), as the error to
// record; nullopt when it runs. decide() then dead-letters the job with the matching reason.
std::optional<std::string> refuse_attempt(const queue::job& value, const delivery_count& delivered,
                                          queue::time_point now);

std::string_view to_string(job_decision::action what);

// Decides from the Memory Bank's answer. A transient failure or refused credentials are retried
// through `policy`, not sooner than a Retry-After (exhausted or past the deadline: dead letter);
// a rejected call is dead-lettered at once; an open circuit delays the job until the breaker lets
// a trial through (`retry_after`, at least `minimum_delay`) without counting an attempt; an add
// the Memory Bank is still processing waits for its next poll within the same attempt. Any wait
// past the job's deadline dead-letters it instead, and so does a poison entry (handed out more
// than max_deliveries times), whatever the answer.
job_decision decide(const queue::job& value, const memory_bank::call_result& result,
                    const queue::retry_policy& policy, queue::time_point now,
                    std::chrono::milliseconds minimum_delay, const event_polling& polling,
                    const delivery_count& delivered = {});

// The Memory Bank user a job acts for: its end user, or, for a job with no end user (an API
// key acting for the whole application), the application's own namespace "app:<application_id>",
// which no end user id can equal: end user ids are UUIDs (custom_gpt_end_users.id).
memory_bank::owner job_owner(const queue::job& value);

}  // namespace gpt_adapter::worker
