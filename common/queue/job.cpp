#include "common/queue/job.hpp"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/queue/fields.hpp"

namespace gpt_adapter::queue {
namespace {

constexpr std::array<std::pair<operation, std::string_view>, 8> operation_names{{
    {operation::search, "search"},
    {operation::create, "create"},
    {operation::get, "get"},
    {operation::list, "list"},
    {operation::update, "update"},
    {operation::remove, "delete"},
    {operation::history, "history"},
    {operation::forget, "forget"},
}};

constexpr std::array<std::pair<job_status, std::string_view>, 5> status_names{{
    {job_status::queued, "queued"},
    {job_status::running, "running"},
    {job_status::succeeded, "succeeded"},
    {job_status::failed, "failed"},
    {job_status::dead, "dead"},
}};

std::string milliseconds_text(time_point when) {
  return std::to_string(when.time_since_epoch().count());
}

}  // namespace

std::string_view to_string(operation op) {
  for (const auto& [value, name] : operation_names) {
    if (value == op) {
      return name;
    }
  }
  return "unknown";
}

std::optional<operation> parse_operation(std::string_view text) {
  for (const auto& [value, name] : operation_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

std::string_view to_string(job_status status) {
  for (const auto& [value, name] : status_names) {
    if (value == status) {
      return name;
    }
  }
  return "unknown";
}

std::optional<job_status> parse_job_status(std::string_view text) {
  for (const auto& [value, name] : status_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

stream_fields encode(const job& value) {
  stream_fields entry;
  entry.emplace_back("v", std::string(schema_version));
  entry.emplace_back("request_id", value.request_id);
  entry.emplace_back("op", std::string(to_string(value.op)));
  entry.emplace_back("app", value.application_id);
  fields::append_optional(entry, "user", value.end_user_id);
  entry.emplace_back("payload", boost::json::serialize(value.payload));
  entry.emplace_back("attempt", std::to_string(value.attempt));
  entry.emplace_back("enqueued_at_ms", milliseconds_text(value.enqueued_at));
  entry.emplace_back("deadline_ms", milliseconds_text(value.deadline));
  fields::append_optional(entry, "idempotency_key", value.idempotency_key);
  fields::append_optional(entry, "correlation_id", value.correlation_id);
  fields::append_optional(entry, "memory_bank_event", value.memory_bank_event_id);
  if (value.event_polls > 0) {
    entry.emplace_back("event_polls", std::to_string(value.event_polls));
  }
  return entry;
}

auth::value_or_error<job, decode_error> decode(const stream_fields& entry) {
  if (auto duplicate = fields::find_duplicate(entry)) {
    return *duplicate;
  }

  const std::string* version = fields::find(entry, "v");
  if (version == nullptr) {
    return fields::missing("v");
  }
  if (*version != schema_version) {
    return decode_error{"v", "unsupported schema version '" + *version + "'"};
  }

  job result;

  const auto required_milliseconds = [&](std::string_view name,
                                         time_point& target) -> std::optional<decode_error> {
    const std::string* text = fields::find(entry, name);
    if (text == nullptr) {
      return fields::missing(name);
    }
    const auto number = fields::parse_integer(*text);
    if (!number || *number < 0) {
      return decode_error{std::string(name),
                          "must be a non-negative integer of milliseconds since the epoch"};
    }
    target = time_point(std::chrono::milliseconds(*number));
    return std::nullopt;
  };

  if (auto error = fields::required_text(entry, "request_id", result.request_id)) {
    return *error;
  }

  if (auto error = fields::required_operation(entry, "op", result.op)) {
    return *error;
  }

  if (auto error = fields::required_text(entry, "app", result.application_id)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, "user", result.end_user_id)) {
    return *error;
  }

  const std::string* payload_text = fields::find(entry, "payload");
  if (payload_text == nullptr) {
    return fields::missing("payload");
  }
  boost::system::error_code parse_error;
  boost::json::value payload = boost::json::parse(*payload_text, parse_error);
  if (parse_error) {
    return decode_error{"payload", "not valid JSON: " + parse_error.message()};
  }
  if (!payload.is_object()) {
    return decode_error{"payload", "must be a JSON object"};
  }
  result.payload = std::move(payload.as_object());

  const std::string* attempt_text = fields::find(entry, "attempt");
  if (attempt_text == nullptr) {
    return fields::missing("attempt");
  }
  const auto attempt = fields::parse_integer(*attempt_text);
  if (!attempt || *attempt < 1 || *attempt > 1'000'000) {
    return decode_error{"attempt", "must be a positive integer"};
  }
  result.attempt = static_cast<int>(*attempt);

  if (auto error = required_milliseconds("enqueued_at_ms", result.enqueued_at)) {
    return *error;
  }
  if (auto error = required_milliseconds("deadline_ms", result.deadline)) {
    return *error;
  }
  if (result.deadline < result.enqueued_at) {
    return decode_error{"deadline_ms", "deadline is before the enqueue time"};
  }

  if (auto error = fields::optional_text(entry, "idempotency_key", result.idempotency_key)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, "correlation_id", result.correlation_id)) {
    return *error;
  }
  if (auto error = fields::optional_text(entry, "memory_bank_event", result.memory_bank_event_id)) {
    return *error;
  }
  if (const std::string* polls_text = fields::find(entry, "event_polls")) {
    const auto polls = fields::parse_integer(*polls_text);
    if (!polls || *polls < 0 || *polls > 1'000'000) {
      return decode_error{"event_polls", "must be a non-negative integer"};
    }
    result.event_polls = static_cast<int>(*polls);
  }
  return result;
}

}  // namespace gpt_adapter::queue
