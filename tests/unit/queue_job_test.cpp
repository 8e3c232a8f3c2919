#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/queue/job.hpp"
#include "common/queue/keys.hpp"

namespace queue = gpt_adapter::queue;

namespace {

queue::job sample_job() {
  queue::job value;
  value.request_id = "req-123";
  value.op = queue::operation::create;
  value.application_id = "app-7";
  value.end_user_id = "user-42";
  value.payload = boost::json::parse(R"({"content":"likes tea","metadata":{"n":1}})").as_object();
  value.attempt = 2;
  value.enqueued_at = queue::time_point(std::chrono::milliseconds(1'700'000'000'123));
  value.deadline = queue::time_point(std::chrono::milliseconds(1'700'000'120'123));
  value.idempotency_key = "idem-1";
  value.correlation_id = "corr-9";
  return value;
}

const std::string* field(const queue::stream_fields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

queue::stream_fields with_field(queue::stream_fields fields, std::string_view name,
                                std::string value) {
  for (auto& [key, current] : fields) {
    if (key == name) {
      current = std::move(value);
      return fields;
    }
  }
  fields.emplace_back(std::string(name), std::move(value));
  return fields;
}

queue::stream_fields without_field(queue::stream_fields fields, std::string_view name) {
  std::erase_if(fields, [&](const auto& entry) { return entry.first == name; });
  return fields;
}

void check_rejected(const queue::stream_fields& fields, std::string_view expected_field) {
  const auto decoded = queue::decode(fields);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().field == expected_field);
  CHECK_FALSE(decoded.error().message.empty());
}

}  // namespace

TEST_CASE("queue job: operations convert to and from their wire names", "[queue][job]") {
  using queue::operation;
  for (const auto& [op, name] :
       {std::pair{operation::search, "search"}, std::pair{operation::create, "create"},
        std::pair{operation::get, "get"}, std::pair{operation::list, "list"},
        std::pair{operation::update, "update"}, std::pair{operation::remove, "delete"}}) {
    CHECK(queue::to_string(op) == name);
    CHECK(queue::parse_operation(name) == op);
  }
  CHECK_FALSE(queue::parse_operation("remove").has_value());
  CHECK_FALSE(queue::parse_operation("SEARCH").has_value());
  CHECK_FALSE(queue::parse_operation("").has_value());
}

TEST_CASE("queue job: statuses convert to and from their wire names", "[queue][job]") {
  using queue::job_status;
  for (const auto& [status, name] :
       {std::pair{job_status::queued, "queued"}, std::pair{job_status::running, "running"},
        std::pair{job_status::succeeded, "succeeded"}, std::pair{job_status::failed, "failed"},
        std::pair{job_status::dead, "dead"}}) {
    CHECK(queue::to_string(status) == name);
    CHECK(queue::parse_job_status(name) == status);
  }
  CHECK_FALSE(queue::parse_job_status("done").has_value());
}

TEST_CASE("queue job: key names share one hash tag", "[queue][job]") {
  CHECK(queue::keys::jobs_stream == "{gpt-adapter}:jobs");
  CHECK(queue::keys::consumer_group == "workers");
  CHECK(queue::keys::delayed_set == "{gpt-adapter}:jobs:delayed");
  CHECK(queue::keys::dead_letter_stream == "{gpt-adapter}:jobs:dead");
  CHECK(queue::keys::job_done_channel == "{gpt-adapter}:job-done");
  CHECK(queue::keys::job_record("req-1") == "{gpt-adapter}:job:req-1");
}

TEST_CASE("queue job: encodes every field under its stream name", "[queue][job]") {
  const auto fields = queue::encode(sample_job());
  REQUIRE(field(fields, "v") != nullptr);
  CHECK(*field(fields, "v") == "1");
  CHECK(*field(fields, "request_id") == "req-123");
  CHECK(*field(fields, "op") == "create");
  CHECK(*field(fields, "app") == "app-7");
  CHECK(*field(fields, "user") == "user-42");
  CHECK(boost::json::parse(*field(fields, "payload")) ==
        boost::json::parse(R"({"content":"likes tea","metadata":{"n":1}})"));
  CHECK(*field(fields, "attempt") == "2");
  CHECK(*field(fields, "enqueued_at_ms") == "1700000000123");
  CHECK(*field(fields, "deadline_ms") == "1700000120123");
  CHECK(*field(fields, "idempotency_key") == "idem-1");
  CHECK(*field(fields, "correlation_id") == "corr-9");
  CHECK(fields.size() == 11);
}

TEST_CASE("queue job: a job survives an encode and decode round trip", "[queue][job]") {
  const auto original = sample_job();
  const auto decoded = queue::decode(queue::encode(original));
  REQUIRE(decoded.ok());
  CHECK(*decoded == original);
}

TEST_CASE("queue job: absent optional fields are left out and come back absent", "[queue][job]") {
  auto original = sample_job();
  original.end_user_id.reset();
  original.idempotency_key.reset();
  original.correlation_id.reset();
  original.op = queue::operation::remove;
  const auto fields = queue::encode(original);
  CHECK(field(fields, "user") == nullptr);
  CHECK(field(fields, "idempotency_key") == nullptr);
  CHECK(field(fields, "correlation_id") == nullptr);
  CHECK(*field(fields, "op") == "delete");
  const auto decoded = queue::decode(fields);
  REQUIRE(decoded.ok());
  CHECK(*decoded == original);
}

TEST_CASE("queue job: decoding ignores unknown fields and field order", "[queue][job]") {
  auto fields = queue::encode(sample_job());
  std::reverse(fields.begin(), fields.end());
  fields.emplace_back("added_by_a_newer_producer", "x");
  const auto decoded = queue::decode(fields);
  REQUIRE(decoded.ok());
  CHECK(*decoded == sample_job());
}

TEST_CASE("queue job: each missing required field is named", "[queue][job]") {
  const auto fields = queue::encode(sample_job());
  for (const char* name :
       {"v", "request_id", "op", "app", "payload", "attempt", "enqueued_at_ms", "deadline_ms"}) {
    INFO(name);
    check_rejected(without_field(fields, name), name);
  }
}

TEST_CASE("queue job: each malformed field is named", "[queue][job]") {
  const auto fields = queue::encode(sample_job());
  const std::vector<std::pair<std::string, std::string>> bad_values{
      {"v", "2"},
      {"v", ""},
      {"request_id", ""},
      {"op", "truncate"},
      {"op", ""},
      {"app", ""},
      {"user", ""},
      {"payload", "{not json"},
      {"payload", "[1,2]"},
      {"payload", "\"text\""},
      {"payload", ""},
      {"attempt", "0"},
      {"attempt", "-1"},
      {"attempt", "two"},
      {"attempt", "2x"},
      {"attempt", "99999999999999999999"},
      {"attempt", ""},
      {"enqueued_at_ms", "-5"},
      {"enqueued_at_ms", "1.5"},
      {"enqueued_at_ms", ""},
      {"deadline_ms", "soon"},
      {"deadline_ms", "1700000000122"},
      {"idempotency_key", ""},
      {"correlation_id", ""},
  };
  for (const auto& [name, value] : bad_values) {
    INFO(name << " = '" << value << "'");
    check_rejected(with_field(fields, name, value), name);
  }
}

TEST_CASE("queue job: a field given twice is rejected", "[queue][job]") {
  auto fields = queue::encode(sample_job());
  fields.emplace_back("app", "another-app");
  check_rejected(fields, "app");
}

TEST_CASE("queue job: an empty entry is rejected and does not crash", "[queue][job]") {
  check_rejected({}, "v");
}
