#include "worker/job_settlement.hpp"

#include <string>
#include <utility>

#include <boost/json/serialize.hpp>

namespace gpt_adapter::worker {

queue::settlement settlement_of(const queue::job& value, const memory_bank::call_result& result,
                                const job_decision& decision, std::string_view entry_id,
                                queue::time_point finished, std::chrono::milliseconds duration) {
  queue::settlement change;
  change.entry_id = std::string(entry_id);
  change.request_id = value.request_id;
  queue::job_record record = queue::queued_record(value);
  record.attempts = value.attempt;
  record.updated_at = finished;
  if (result.http_status > 0) {
    record.memory_bank_status = result.http_status;
  }
  if (!result.memory_bank_request_id.empty()) {
    record.memory_bank_request_id = result.memory_bank_request_id;
  }
  if (!result.error.empty()) {
    record.error = result.error;
  }
  record.error_code = decision.error_code;
  const auto final_outcome = [&](queue::job_status status) {
    record.status = status;
    record.completed_at = finished;
    queue::job_outcome outcome;
    outcome.request_id = value.request_id;
    outcome.application_id = value.application_id;
    outcome.end_user_id = value.end_user_id;
    outcome.op = value.op;
    outcome.status = status;
    outcome.attempts = value.attempt;
    outcome.error = record.error;
    outcome.memory_bank_status = record.memory_bank_status;
    outcome.memory_bank_request_id = record.memory_bank_request_id;
    outcome.processing_time = duration;
    outcome.created_at = value.enqueued_at;
    outcome.completed_at = finished;
    change.outcome = std::move(outcome);
    change.notify = true;
  };
  switch (decision.what) {
    case job_decision::action::succeed:
      record.error.reset();
      record.result = boost::json::serialize(result.result);
      final_outcome(queue::job_status::succeeded);
      break;
    case job_decision::action::fail:
      if (!record.error) {
        record.error = "memory not found";
      }
      final_outcome(queue::job_status::failed);
      break;
    case job_decision::action::retry: {
      record.status = queue::job_status::queued;
      auto next = value;
      ++next.attempt;
      // A new attempt starts over: it looks for what earlier ones stored, then adds.
      next.memory_bank_event_id.reset();
      next.event_polls = 0;
      change.delayed_job = std::move(next);
      change.delay = decision.delay;
      break;
    }
    case job_decision::action::delay:
      // The breaker never let the call through: the attempt does not count.
      record.status = queue::job_status::queued;
      record.attempts = value.attempt - 1;
      change.delayed_job = value;
      change.delay = decision.delay;
      break;
    case job_decision::action::await_event: {
      // The attempt goes on while the Memory Bank works: the job waits in the delayed set, not
      // in a worker slot, and polls the event when it is due.
      record.status = queue::job_status::running;
      auto next = value;
      next.memory_bank_event_id = result.event_id;
      ++next.event_polls;
      change.delayed_job = std::move(next);
      change.delay = decision.delay;
      break;
    }
    case job_decision::action::dead_letter: {
      const auto reason = decision.reason.value_or(queue::dead_letter_reason::exhausted);
      if (result.outcome == memory_bank::call_result::kind::in_progress) {
        record.error = "the Memory Bank accepted the request (event " +
                       result.event_id.value_or("") +
                       ") but had not finished it by the job's deadline; it may still complete";
      }
      if (!record.error) {
        record.error = std::string(to_string(reason));
      }
      final_outcome(queue::job_status::dead);
      change.dead_letter = queue::dead_letter_fields(value, reason, *record.error,
                                                     record.memory_bank_status, entry_id, finished);
      break;
    }
  }
  change.record = std::move(record);
  return change;
}

}  // namespace gpt_adapter::worker
