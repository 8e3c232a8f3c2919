#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/auth/value_or_error.hpp"
#include "common/queue/job.hpp"

namespace gpt_adapter::queue {

// Why a job has not succeeded yet, as data the API answers from; the error text beside it is
// for people and may change.
enum class job_error_code {
  // The Memory Bank's circuit breaker is open: the job waits for it to close.
  memory_bank_unavailable,
  // The Memory Bank refuses the adapter's credentials (401/403): an operator must fix them.
  memory_bank_unauthorized,
};

std::string_view to_string(job_error_code code);
std::optional<job_error_code> parse_job_error_code(std::string_view text);

// What callers see of a job: the hash {gpt-adapter}:job:<request_id>, written when the job is
// enqueued and on every transition by the worker, with a TTL (JOB_RECORD_TTL) refreshed on each
// write. The API reads it for GET /jobs/{id}, checking application_id and end_user_id against
// the caller.
struct job_record {
  job_status status = job_status::queued;
  operation op = operation::search;
  std::string application_id;
  std::optional<std::string> end_user_id;
  int attempts = 0;  // attempts started so far; 0 while the first is still queued
  time_point created_at;
  time_point updated_at;
  std::optional<time_point> completed_at;  // set with a final status
  std::optional<std::string> result;       // JSON text; succeeded only
  std::optional<std::string> error;        // the last error, if any
  std::optional<job_error_code> error_code;
  std::optional<int> memory_bank_status;
  std::optional<std::string> memory_bank_request_id;

  friend bool operator==(const job_record&, const job_record&) = default;
};

// The record hash's field names, declared once: the encoder, the decoder and the queue's Lua
// scripts (which get the names they touch as arguments) all use these.
namespace record_fields {
inline constexpr std::string_view status = "status";
inline constexpr std::string_view operation = "operation";
inline constexpr std::string_view application_id = "application_id";
inline constexpr std::string_view end_user_id = "end_user_id";
inline constexpr std::string_view attempts = "attempts";
inline constexpr std::string_view created_at = "created_at";
inline constexpr std::string_view updated_at = "updated_at";
inline constexpr std::string_view completed_at = "completed_at";
inline constexpr std::string_view result = "result";
inline constexpr std::string_view error = "error";
inline constexpr std::string_view error_code = "error_code";
inline constexpr std::string_view memory_bank_status = "memory_bank_status";
inline constexpr std::string_view memory_bank_request_id = "memory_bank_request_id";
}  // namespace record_fields

// The record of a job just enqueued: queued, no attempt yet, created and updated at enqueue.
job_record queued_record(const job& value);

// The hash fields (status, operation, application_id, end_user_id?, attempts, created_at,
// updated_at, completed_at?, result?, error?, error_code?, memory_bank_status?,
// memory_bank_request_id?).
stream_fields encode_record(const job_record& value);

// Reads a hash back (HGETALL); the error names the field. An unknown error_code reads as none.
auth::value_or_error<job_record, decode_error> decode_record(const stream_fields& fields);

}  // namespace gpt_adapter::queue
