#include "common/queue/job_record.hpp"

#include "common/queue/fields.hpp"
#include "common/queue/timestamp.hpp"

namespace gpt_adapter::queue {

std::string_view to_string(job_error_code code) {
  switch (code) {
    case job_error_code::memory_bank_unavailable:
      return "memory_bank_unavailable";
    case job_error_code::memory_bank_unauthorized:
      return "memory_bank_unauthorized";
  }
  return "unknown";
}

std::optional<job_error_code> parse_job_error_code(std::string_view text) {
  for (const auto code :
       {job_error_code::memory_bank_unavailable, job_error_code::memory_bank_unauthorized}) {
    if (text == to_string(code)) {
      return code;
    }
  }
  return std::nullopt;
}

job_record queued_record(const job& value) {
  job_record record;
  record.status = job_status::queued;
  record.op = value.op;
  record.application_id = value.application_id;
  record.end_user_id = value.end_user_id;
  record.attempts = value.attempt - 1;
  record.created_at = value.enqueued_at;
  record.updated_at = value.enqueued_at;
  return record;
}

stream_fields encode_record(const job_record& value) {
  stream_fields entry;
  entry.emplace_back(record_fields::status, std::string(to_string(value.status)));
  entry.emplace_back(record_fields::operation, std::string(to_string(value.op)));
  entry.emplace_back(record_fields::application_id, value.application_id);
  fields::append_optional(entry, record_fields::end_user_id, value.end_user_id);
  entry.emplace_back(record_fields::attempts, std::to_string(value.attempts));
  entry.emplace_back(record_fields::created_at, format_timestamp(value.created_at));
  entry.emplace_back(record_fields::updated_at, format_timestamp(value.updated_at));
  if (value.completed_at) {
    entry.emplace_back(record_fields::completed_at, format_timestamp(*value.completed_at));
  }
  fields::append_optional(entry, record_fields::result, value.result);
  fields::append_optional(entry, record_fields::error, value.error);
  if (value.error_code) {
    entry.emplace_back(record_fields::error_code, std::string(to_string(*value.error_code)));
  }
  fields::append_optional(entry, record_fields::memory_bank_status, value.memory_bank_status);
  fields::append_optional(entry, record_fields::memory_bank_request_id,
                          value.memory_bank_request_id);
  return entry;
}

auth::value_or_error<job_record, decode_error> decode_record(const stream_fields& entry) {
  if (auto duplicate = fields::find_duplicate(entry)) {
    return *duplicate;
  }
  job_record record;
  if (auto error = fields::required_status(entry, record_fields::status, record.status)) {
    return *error;
  }
  if (auto error = fields::required_operation(entry, record_fields::operation, record.op)) {
    return *error;
  }
  if (auto error =
          fields::required_text(entry, record_fields::application_id, record.application_id)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, record_fields::end_user_id, record.end_user_id)) {
    return *error;
  }
  if (auto error =
          fields::required_integer(entry, record_fields::attempts, 0, 1'000'000, record.attempts)) {
    return *error;
  }
  if (auto error =
          fields::required_timestamp(entry, record_fields::created_at, record.created_at)) {
    return *error;
  }
  if (auto error =
          fields::required_timestamp(entry, record_fields::updated_at, record.updated_at)) {
    return *error;
  }
  if (auto error =
          fields::optional_timestamp(entry, record_fields::completed_at, record.completed_at)) {
    return *error;
  }
  if (const std::string* result = fields::find(entry, record_fields::result)) {
    record.result = *result;
  }
  if (auto error = fields::optional_text(entry, record_fields::error, record.error)) {
    return *error;
  }
  // A code this version does not know (written by a newer worker during a rolling update)
  // reads as none: the record stays readable and the job is answered by its status.
  if (const std::string* code_text = fields::find(entry, record_fields::error_code)) {
    record.error_code = parse_job_error_code(*code_text);
  }
  if (auto error = fields::optional_integer(entry, record_fields::memory_bank_status, 100, 599,
                                            record.memory_bank_status)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, record_fields::memory_bank_request_id,
                                         record.memory_bank_request_id)) {
    return *error;
  }
  return record;
}

}  // namespace gpt_adapter::queue
