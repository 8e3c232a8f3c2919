#include "common/queue/job_outcome.hpp"

#include <limits>

#include "common/queue/fields.hpp"
#include "common/queue/timestamp.hpp"

namespace gpt_adapter::queue {

bool is_final(job_status status) {
  return status == job_status::succeeded || status == job_status::failed ||
         status == job_status::dead;
}

stream_fields encode_outcome(const job_outcome& value) {
  stream_fields entry;
  entry.emplace_back("request_id", value.request_id);
  entry.emplace_back("application_id", value.application_id);
  fields::append_optional(entry, "end_user_id", value.end_user_id);
  entry.emplace_back("operation", std::string(to_string(value.op)));
  entry.emplace_back("status", std::string(to_string(value.status)));
  entry.emplace_back("attempts", std::to_string(value.attempts));
  fields::append_optional(entry, "error", value.error);
  fields::append_optional(entry, "memory_bank_status", value.memory_bank_status);
  fields::append_optional(entry, "memory_bank_request_id", value.memory_bank_request_id);
  entry.emplace_back("processing_time_ms", std::to_string(value.processing_time.count()));
  entry.emplace_back("created_at", format_timestamp(value.created_at));
  entry.emplace_back("completed_at", format_timestamp(value.completed_at));
  return entry;
}

auth::value_or_error<job_outcome, decode_error> decode_outcome(const stream_fields& entry) {
  if (auto duplicate = fields::find_duplicate(entry)) {
    return *duplicate;
  }
  job_outcome result;
  if (auto error = fields::required_text(entry, "request_id", result.request_id)) {
    return *error;
  }
  if (auto error = fields::required_text(entry, "application_id", result.application_id)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, "end_user_id", result.end_user_id)) {
    return *error;
  }
  if (auto error = fields::required_operation(entry, "operation", result.op)) {
    return *error;
  }
  if (auto error = fields::required_status(entry, "status", result.status)) {
    return *error;
  }
  if (!is_final(result.status)) {
    return decode_error{"status", "must be succeeded, failed or dead"};
  }
  if (auto error = fields::required_integer(entry, "attempts", 1, 1'000'000, result.attempts)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, "error", result.error)) {
    return *error;
  }
  if (auto error = fields::optional_integer(entry, "memory_bank_status", 100, 599,
                                            result.memory_bank_status)) {
    return *error;
  }
  if (auto error =
          fields::optional_text(entry, "memory_bank_request_id", result.memory_bank_request_id)) {
    return *error;
  }

  std::int64_t processing_ms = 0;
  if (auto error =
          fields::required_integer(entry, "processing_time_ms", 0,
                                   std::numeric_limits<std::int64_t>::max(), processing_ms)) {
    return *error;
  }
  result.processing_time = std::chrono::milliseconds(processing_ms);

  if (auto error = fields::required_timestamp(entry, "created_at", result.created_at)) {
    return *error;
  }
  if (auto error = fields::required_timestamp(entry, "completed_at", result.completed_at)) {
    return *error;
  }
  return result;
}

}  // namespace gpt_adapter::queue
