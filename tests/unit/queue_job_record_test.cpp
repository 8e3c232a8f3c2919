#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "common/queue/job_record.hpp"

namespace queue = gpt_adapter::queue;

namespace {

queue::time_point at_ms(long long millis) {
  return queue::time_point(std::chrono::milliseconds(millis));
}

queue::job_record finished_record() {
  queue::job_record record;
  record.status = queue::job_status::succeeded;
  record.op = queue::operation::create;
  record.application_id = "app-1";
  record.end_user_id = "user-1";
  record.attempts = 2;
  record.created_at = at_ms(1'700'000'000'000);
  record.updated_at = at_ms(1'700'000'001'000);
  record.completed_at = at_ms(1'700'000'001'000);
  record.result = R"([{"memory_id":"m-1","content":"likes tea"}])";
  record.memory_bank_status = 200;
  record.memory_bank_request_id = "mb-1";
  return record;
}

}  // namespace

TEST_CASE("queue record: a finished record survives a round trip", "[queue][record]") {
  const auto record = finished_record();
  const auto decoded = queue::decode_record(queue::encode_record(record));
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == record);
}

TEST_CASE("queue record: a new job's record is queued with no attempt", "[queue][record]") {
  queue::job value;
  value.request_id = "req-1";
  value.op = queue::operation::search;
  value.application_id = "app-1";
  value.enqueued_at = at_ms(1'700'000'000'000);
  value.deadline = at_ms(1'700'000'010'000);
  const auto record = queue::queued_record(value);
  CHECK(record.status == queue::job_status::queued);
  CHECK(record.attempts == 0);
  CHECK_FALSE(record.end_user_id.has_value());
  CHECK(record.created_at == value.enqueued_at);
  const auto fields = queue::encode_record(record);
  CHECK(fields.size() == 6);
  const auto decoded = queue::decode_record(fields);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == record);
}

TEST_CASE("queue record: a bad hash is rejected naming the field", "[queue][record]") {
  const auto fields = queue::encode_record(finished_record());
  const auto rejected = [&](std::string_view name, std::string value) {
    auto changed = fields;
    for (auto& [field, text] : changed) {
      if (field == name) {
        text = value;
      }
    }
    const auto decoded = queue::decode_record(changed);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().field == name);
  };
  rejected("status", "paused");
  rejected("operation", "drop");
  rejected("attempts", "-1");
  rejected("created_at", "yesterday");
  rejected("completed_at", "2023-11-14");
  rejected("memory_bank_status", "1000");
  rejected("application_id", "");
}

TEST_CASE("queue record: the error code is data that survives a round trip", "[queue][record]") {
  auto record = finished_record();
  record.status = queue::job_status::queued;
  record.completed_at.reset();
  record.result.reset();
  record.error = "memory bank circuit breaker is open";
  record.error_code = queue::job_error_code::memory_bank_unavailable;
  const auto fields = queue::encode_record(record);
  bool encoded = false;
  for (const auto& [name, value] : fields) {
    encoded = encoded || (name == "error_code" && value == "memory_bank_unavailable");
  }
  CHECK(encoded);
  const auto decoded = queue::decode_record(fields);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == record);
  CHECK(queue::parse_job_error_code("memory_bank_unavailable") ==
        queue::job_error_code::memory_bank_unavailable);
  CHECK_FALSE(queue::parse_job_error_code("circuit breaker is open").has_value());
}

TEST_CASE("queue record: an unknown error code reads as none, the record stays readable",
          "[queue][record]") {
  auto fields = queue::encode_record(finished_record());
  fields.emplace_back("error_code", "some_future_code");
  const auto decoded = queue::decode_record(fields);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded.value().error_code.has_value());
  CHECK(decoded.value() == finished_record());
}
