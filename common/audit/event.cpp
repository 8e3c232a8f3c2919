#include "common/audit/event.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/queue/fields.hpp"
#include "common/queue/timestamp.hpp"
#include "common/text/uuid.hpp"

namespace gpt_adapter::audit {
namespace {

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, failure] = std::from_chars(text.data(), end, value);
  if (failure != std::errc() || stop != end || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::optional<queue::decode_error> require_uuid(std::string_view field, std::string_view value) {
  if (text::is_uuid(value))
    return std::nullopt;
  return queue::decode_error{std::string(field), "must be a UUID"};
}

}  // namespace

event new_event(std::string application_id, std::string operation_type, std::string request_id) {
  event value;
  value.event_id = text::uuid_v4();
  value.application_id = std::move(application_id);
  value.operation_type = std::move(operation_type);
  value.request_id = std::move(request_id);
  value.created_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return value;
}

queue::stream_fields encode(const event& value) {
  queue::stream_fields out{
      {"event_id", value.event_id},
      {"application_id", value.application_id},
      {"operation_type", value.operation_type},
      {"request_data", boost::json::serialize(value.request_data)},
      {"response_status", std::to_string(value.response_status)},
      {"request_id", value.request_id},
      {"created_at", queue::format_timestamp(value.created_at)},
  };
  if (value.end_user_id)
    out.emplace_back("end_user_id", *value.end_user_id);
  if (value.processing_time_ms) {
    out.emplace_back("processing_time_ms", std::to_string(*value.processing_time_ms));
  }
  if (value.memory_service_request_id) {
    out.emplace_back("memory_service_request_id", *value.memory_service_request_id);
  }
  return out;
}

auth::value_or_error<event, queue::decode_error> decode(const queue::stream_fields& entry) {
  if (auto duplicate = queue::fields::find_duplicate(entry))
    return *duplicate;
  event value;
  if (auto error = queue::fields::required_text(entry, "event_id", value.event_id))
    return *error;
  if (auto error = require_uuid("event_id", value.event_id))
    return *error;
  if (auto error = queue::fields::required_text(entry, "application_id", value.application_id)) {
    return *error;
  }
  if (auto error = require_uuid("application_id", value.application_id))
    return *error;
  if (auto error = queue::fields::optional_text(entry, "end_user_id", value.end_user_id)) {
    return *error;
  }
  if (auto error = queue::fields::required_text(entry, "operation_type", value.operation_type)) {
    return *error;
  }

  const std::string* data_text = queue::fields::find(entry, "request_data");
  if (data_text == nullptr)
    return queue::fields::missing("request_data");
  boost::system::error_code parse_error;
  auto data = boost::json::parse(*data_text, parse_error);
  if (parse_error || !data.is_object()) {
    return queue::decode_error{"request_data", "must be a JSON object"};
  }
  value.request_data = std::move(data.as_object());

  std::int64_t status = 0;
  if (auto error = queue::fields::required_integer(entry, "response_status", 100, 599, status)) {
    return *error;
  }
  value.response_status = static_cast<int>(status);

  if (const auto* duration = queue::fields::find(entry, "processing_time_ms")) {
    const auto number = parse_number(*duration);
    if (!number || *number < 0) {
      return queue::decode_error{"processing_time_ms", "must be a non-negative number"};
    }
    value.processing_time_ms = number;
  }
  if (auto error = queue::fields::optional_text(entry, "memory_service_request_id",
                                                value.memory_service_request_id)) {
    return *error;
  }
  if (auto error = queue::fields::required_text(entry, "request_id", value.request_id)) {
    return *error;
  }
  if (auto error = queue::fields::required_timestamp(entry, "created_at", value.created_at)) {
    return *error;
  }
  return value;
}

}  // namespace gpt_adapter::audit
