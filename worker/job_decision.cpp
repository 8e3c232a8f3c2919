#include "worker/job_decision.hpp"

#include <algorithm>

namespace gpt_adapter::worker {

std::string_view to_string(job_decision::action what) {
  switch (what) {
    case job_decision::action::succeed:
      return "succeeded";
    case job_decision::action::fail:
      return "failed";
    case job_decision::action::retry:
      return "retry";
    case job_decision::action::delay:
      return "delayed";
    case job_decision::action::await_event:
      return "awaiting_event";
    case job_decision::action::dead_letter:
      return "dead";
  }
  return "unknown";
}

std::chrono::milliseconds event_poll_delay(const event_polling& polling, int polls) {
  auto delay = polling.first;
  for (int poll = 0; poll < polls && delay < polling.longest; ++poll) {
    delay *= 2;
  }
  return std::min(delay, polling.longest);
}

namespace {

bool poisoned(const delivery_count& delivered) {
  return delivered.deliveries > delivered.max_deliveries;
}

}  // namespace

std::optional<std::string> refuse_attempt(const queue::job& value, const delivery_count& delivered,
                                          queue::time_point now) {
  if (poisoned(delivered)) {
    return "handed out " + std::to_string(delivered.deliveries) +
           " times without being settled (JOB_MAX_DELIVERIES " +
           std::to_string(delivered.max_deliveries) + "): its workers stopped while running it";
  }
  if (now > value.deadline) {
    return std::string("deadline passed before the attempt started");
  }
  return std::nullopt;
}

namespace {

job_decision decide_from_answer(const queue::job& value, const memory_bank::call_result& result,
                                const queue::retry_policy& policy, queue::time_point now,
                                std::chrono::milliseconds minimum_delay,
                                const event_polling& polling) {
  using kind = memory_bank::call_result::kind;
  job_decision decision;
  switch (result.outcome) {
    case kind::ok:
      decision.what = job_decision::action::succeed;
      return decision;
    case kind::not_found:
      decision.what = job_decision::action::fail;
      return decision;
    case kind::rejected:
      decision.what = job_decision::action::dead_letter;
      decision.reason = queue::dead_letter_reason::not_retryable;
      return decision;
    case kind::circuit_open: {
      decision.error_code = queue::job_error_code::memory_bank_unavailable;
      const auto delay = std::max(result.retry_after.value_or(minimum_delay), minimum_delay);
      if (now + delay > value.deadline) {
        decision.what = job_decision::action::dead_letter;
        decision.reason = queue::dead_letter_reason::past_deadline;
        return decision;
      }
      decision.what = job_decision::action::delay;
      decision.delay = delay;
      return decision;
    }
    case kind::in_progress: {
      const auto delay = event_poll_delay(polling, value.event_polls);
      if (now + delay > value.deadline) {
        decision.what = job_decision::action::dead_letter;
        decision.reason = queue::dead_letter_reason::past_deadline;
        return decision;
      }
      decision.what = job_decision::action::await_event;
      decision.delay = delay;
      return decision;
    }
    case kind::unauthorized:
      decision.error_code = queue::job_error_code::memory_bank_unauthorized;
      break;
    case kind::transient:
      break;
  }
  const auto next =
      policy.decide(value.attempt, queue::error_class::retryable, now, value.deadline);
  if (next.retries()) {
    // A Retry-After from the Memory Bank (429, 503) is a floor under the jittered backoff.
    const auto delay =
        std::max({std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(*next.retry_at - now),
                  result.retry_after.value_or(std::chrono::milliseconds(0))});
    if (now + delay > value.deadline) {
      decision.what = job_decision::action::dead_letter;
      decision.reason = queue::dead_letter_reason::past_deadline;
      return decision;
    }
    decision.what = job_decision::action::retry;
    decision.delay = delay;
    return decision;
  }
  decision.what = job_decision::action::dead_letter;
  decision.reason = next.dead_letter.value_or(queue::dead_letter_reason::exhausted);
  return decision;
}

}  // namespace

job_decision decide(const queue::job& value, const memory_bank::call_result& result,
                    const queue::retry_policy& policy, queue::time_point now,
                    std::chrono::milliseconds minimum_delay, const event_polling& polling,
                    const delivery_count& delivered) {
  auto decision = decide_from_answer(value, result, policy, now, minimum_delay, polling);
  const bool final =
      decision.what == job_decision::action::succeed || decision.what == job_decision::action::fail;
  if (poisoned(delivered)) {
    decision.what = job_decision::action::dead_letter;
    decision.reason = queue::dead_letter_reason::redelivered;
  } else if (!final && now > value.deadline) {
    decision.what = job_decision::action::dead_letter;
    decision.reason = queue::dead_letter_reason::past_deadline;
  }
  return decision;
}

memory_bank::owner job_owner(const queue::job& value) {
  return memory_bank::owner{.user_id = value.end_user_id ? *value.end_user_id
                                                         : "app:" + value.application_id};
}

}  // namespace gpt_adapter::worker
