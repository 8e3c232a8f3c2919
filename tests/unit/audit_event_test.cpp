#include <catch2/catch.hpp>

#include "common/audit/event.hpp"
#include "common/text/uuid.hpp"

namespace audit = gpt_adapter::audit;
namespace queue = gpt_adapter::queue;

namespace {

audit::event sample() {
  auto value = audit::new_event("0b0f6f52-7c39-4f7e-9a43-3f1b5d8f2a10", "search", "req-1");
  value.end_user_id = "user-7";
  value.request_data = {{"query_length", 12}, {"limit", 5}};
  value.response_status = 200;
  value.processing_time_ms = 12.5;
  value.memory_service_request_id = "mb-42";
  return value;
}

queue::stream_fields without(queue::stream_fields fields, std::string_view name) {
  std::erase_if(fields, [&](const auto& field) { return field.first == name; });
  return fields;
}

queue::stream_fields with(queue::stream_fields fields, std::string_view name, std::string value) {
  for (auto& field : fields) {
    if (field.first == name)
      field.second = std::move(value);
  }
  return fields;
}

}  // namespace

TEST_CASE("uuid_v4 gives distinct canonical version 4 UUIDs", "[audit]") {
  const auto first = gpt_adapter::text::uuid_v4();
  const auto second = gpt_adapter::text::uuid_v4();
  CHECK(first != second);
  CHECK(gpt_adapter::text::is_uuid(first));
  CHECK(first[14] == '4');
  CHECK(std::string_view("89ab").find(first[19]) != std::string_view::npos);
  CHECK_FALSE(gpt_adapter::text::is_uuid("0b0f6f52-7c39-4f7e-9a43-3f1b5d8f2a1"));
  CHECK_FALSE(gpt_adapter::text::is_uuid("0b0f6f52x7c39-4f7e-9a43-3f1b5d8f2a10"));
  CHECK_FALSE(gpt_adapter::text::is_uuid("0b0f6f52-7c39-4f7e-9a43-3f1b5d8f2a1g"));
}

TEST_CASE("an audit event survives the stream round trip", "[audit]") {
  const auto value = sample();
  CHECK(gpt_adapter::text::is_uuid(value.event_id));
  const auto decoded = audit::decode(audit::encode(value));
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == value);

  auto minimal = audit::new_event(std::string(audit::unknown_application_id), "authenticate", "r");
  minimal.response_status = 401;
  const auto decoded_minimal = audit::decode(audit::encode(minimal));
  REQUIRE(decoded_minimal.ok());
  CHECK(decoded_minimal.value() == minimal);
}

TEST_CASE("an audit entry with a bad field is refused, naming the field", "[audit]") {
  const auto fields = audit::encode(sample());
  const auto field_of = [](const queue::stream_fields& entry) {
    const auto decoded = audit::decode(entry);
    REQUIRE_FALSE(decoded.ok());
    return decoded.error().field;
  };
  CHECK(field_of(without(fields, "event_id")) == "event_id");
  CHECK(field_of(with(fields, "event_id", "not-a-uuid")) == "event_id");
  CHECK(field_of(with(fields, "application_id", "app")) == "application_id");
  CHECK(field_of(with(fields, "request_data", "[1]")) == "request_data");
  CHECK(field_of(with(fields, "request_data", "{")) == "request_data");
  CHECK(field_of(with(fields, "response_status", "99")) == "response_status");
  CHECK(field_of(with(fields, "processing_time_ms", "-1")) == "processing_time_ms");
  CHECK(field_of(with(fields, "processing_time_ms", "nan")) == "processing_time_ms");
  CHECK(field_of(with(fields, "created_at", "yesterday")) == "created_at");
  CHECK(field_of(without(fields, "request_id")) == "request_id");
  auto duplicated = fields;
  duplicated.emplace_back("operation_type", "create");
  CHECK(field_of(duplicated) == "operation_type");
}
