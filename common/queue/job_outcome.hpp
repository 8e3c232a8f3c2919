#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/auth/value_or_error.hpp"
#include "common/queue/job.hpp"

namespace gpt_adapter::queue {

// The final outcome of one job: one entry in the history stream ({gpt-adapter}:jobs:history),
// written in the same atomic step as the job's acknowledgement and its record's final state, so
// that durable history (custom_gpt_jobs) receives each job exactly once.
struct job_outcome {
  std::string request_id;
  std::string application_id;
  std::optional<std::string> end_user_id;
  operation op = operation::search;
  job_status status = job_status::succeeded;  // succeeded, failed or dead: a final status
  int attempts = 1;
  std::optional<std::string> error;
  std::optional<int> memory_bank_status;
  std::optional<std::string> memory_bank_request_id;
  // Time the final attempt spent executing.
  std::chrono::milliseconds processing_time{0};
  time_point created_at;
  time_point completed_at;

  friend bool operator==(const job_outcome&, const job_outcome&) = default;
};

// Whether a status ends a job (succeeded, failed, dead).
bool is_final(job_status status);

// The stream fields, in a fixed order: request_id, application_id, end_user_id?, operation,
// status, attempts, error?, memory_bank_status?, memory_bank_request_id?, processing_time_ms,
// created_at and completed_at (RFC 3339 UTC with milliseconds). Absent optionals are left out.
stream_fields encode_outcome(const job_outcome& value);

// Validates an entry read from the history stream; the error names the field.
auth::value_or_error<job_outcome, decode_error> decode_outcome(const stream_fields& fields);

}  // namespace gpt_adapter::queue
