#include <chrono>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "common/queue/job_outcome.hpp"
#include "common/queue/timestamp.hpp"

namespace queue = gpt_adapter::queue;

namespace {

queue::time_point at_ms(long long millis) {
  return queue::time_point(std::chrono::milliseconds(millis));
}

queue::job_outcome sample_outcome() {
  queue::job_outcome value;
  value.request_id = "req-1";
  value.application_id = "app-1";
  value.end_user_id = "user-1";
  value.op = queue::operation::remove;
  value.status = queue::job_status::dead;
  value.attempts = 3;
  value.error = "memory bank answered 503";
  value.memory_bank_status = 503;
  value.memory_bank_request_id = "mb-9";
  value.processing_time = std::chrono::milliseconds(1234);
  value.created_at = at_ms(1'700'000'000'123);
  value.completed_at = at_ms(1'700'000'010'456);
  return value;
}

queue::stream_fields replaced(queue::stream_fields entry, std::string_view name,
                              std::string value) {
  for (auto& [field, current] : entry) {
    if (field == name) {
      current = std::move(value);
    }
  }
  return entry;
}

queue::stream_fields without(queue::stream_fields entry, std::string_view name) {
  std::erase_if(entry, [&](const auto& field) { return field.first == name; });
  return entry;
}

void check_rejected(const queue::stream_fields& entry, std::string_view field) {
  const auto decoded = queue::decode_outcome(entry);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().field == field);
}

}  // namespace

TEST_CASE("queue outcome: every field survives a round trip", "[queue][outcome]") {
  const auto outcome = sample_outcome();
  const auto decoded = queue::decode_outcome(queue::encode_outcome(outcome));
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == outcome);
}

TEST_CASE("queue outcome: the fields are the contract's names, timestamps RFC 3339",
          "[queue][outcome]") {
  const auto entry = queue::encode_outcome(sample_outcome());
  const queue::stream_fields expected{{"request_id", "req-1"},
                                      {"application_id", "app-1"},
                                      {"end_user_id", "user-1"},
                                      {"operation", "delete"},
                                      {"status", "dead"},
                                      {"attempts", "3"},
                                      {"error", "memory bank answered 503"},
                                      {"memory_bank_status", "503"},
                                      {"memory_bank_request_id", "mb-9"},
                                      {"processing_time_ms", "1234"},
                                      {"created_at", "2023-11-14T22:13:20.123Z"},
                                      {"completed_at", "2023-11-14T22:13:30.456Z"}};
  CHECK(entry == expected);
}

TEST_CASE("queue outcome: absent optionals are left out and come back absent", "[queue][outcome]") {
  auto outcome = sample_outcome();
  outcome.status = queue::job_status::succeeded;
  outcome.end_user_id.reset();
  outcome.error.reset();
  outcome.memory_bank_status.reset();
  outcome.memory_bank_request_id.reset();
  const auto entry = queue::encode_outcome(outcome);
  CHECK(entry.size() == 8);
  const auto decoded = queue::decode_outcome(entry);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == outcome);
}

TEST_CASE("queue outcome: a bad entry is rejected naming the field", "[queue][outcome]") {
  const auto entry = queue::encode_outcome(sample_outcome());
  check_rejected(without(entry, "request_id"), "request_id");
  check_rejected(without(entry, "application_id"), "application_id");
  check_rejected(replaced(entry, "end_user_id", ""), "end_user_id");
  check_rejected(replaced(entry, "operation", "drop"), "operation");
  check_rejected(replaced(entry, "status", "running"), "status");
  check_rejected(replaced(entry, "status", "queued"), "status");
  check_rejected(replaced(entry, "attempts", "0"), "attempts");
  check_rejected(replaced(entry, "attempts", "two"), "attempts");
  check_rejected(replaced(entry, "memory_bank_status", "99"), "memory_bank_status");
  check_rejected(replaced(entry, "processing_time_ms", "-1"), "processing_time_ms");
  check_rejected(without(entry, "processing_time_ms"), "processing_time_ms");
  check_rejected(replaced(entry, "created_at", "2023-11-14 22:13:20Z"), "created_at");
  check_rejected(without(entry, "completed_at"), "completed_at");
  auto doubled = entry;
  doubled.emplace_back("status", "succeeded");
  check_rejected(doubled, "status");
}

TEST_CASE("queue timestamp: formats and parses RFC 3339 UTC with milliseconds",
          "[queue][timestamp]") {
  CHECK(queue::format_timestamp(at_ms(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(queue::parse_timestamp("2023-11-14T22:13:20.123Z") == at_ms(1'700'000'000'123));
  CHECK(queue::parse_timestamp("2023-11-14T22:13:20Z") == at_ms(1'700'000'000'000));
  CHECK(queue::parse_timestamp("2023-11-14T22:13:20.1Z") == at_ms(1'700'000'000'100));
  CHECK(queue::parse_timestamp("2024-02-29T00:00:00.000Z").has_value());
  for (const auto* bad :
       {"", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z",
        "2023-11-14T22:13:20.1234Z", "2023-02-30T00:00:00Z", "2023-11-14T24:00:00Z",
        "2023-11-14T22:13:20+01:00", "2023-11-14T22:13:20.123Zx", "2023-1a-14T22:13:20Z"}) {
    INFO(bad);
    CHECK_FALSE(queue::parse_timestamp(bad).has_value());
  }
}
