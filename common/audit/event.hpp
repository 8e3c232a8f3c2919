#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/auth/value_or_error.hpp"
#include "common/queue/job.hpp"

namespace gpt_adapter::audit {

// The application id of an event about a caller that could not be identified (an unknown
// client_id at the token endpoint): the audit table requires one, and the nil UUID matches no
// real application.
inline constexpr std::string_view unknown_application_id = "00000000-0000-0000-0000-000000000000";

// One row of custom_gpt_audit_logs. request_data must already be sanitised by whoever builds
// the event: no tokens, secrets, passwords or memory contents.
struct event {
  std::string event_id;  // a UUID chosen here, so a replayed delivery inserts nothing twice
  std::string application_id;
  std::optional<std::string> end_user_id;
  std::string operation_type;  // e.g. "search", "create", "authenticate"
  boost::json::object request_data;
  int response_status = 0;
  std::optional<double> processing_time_ms;
  std::optional<std::string> memory_service_request_id;
  std::string request_id;
  queue::time_point created_at;

  friend bool operator==(const event&, const event&) = default;
};

// An event with a fresh id, stamped now; the caller fills in the rest.
event new_event(std::string application_id, std::string operation_type, std::string request_id);

// The fields of one stream entry; absent optionals are left out.
queue::stream_fields encode(const event& value);

// Reads an entry back, checking every field (ids must be UUIDs, as the table's columns are);
// the error names the first bad field.
auth::value_or_error<event, queue::decode_error> decode(const queue::stream_fields& fields);

}  // namespace gpt_adapter::audit
