#include <chrono>

#include <catch2/catch.hpp>

#include "common/audit/event.hpp"
#include "common/queue/job_outcome.hpp"
#include "tools/admin/queue_store.hpp"

using namespace gpt_adapter;
using Catch::Matchers::Contains;

namespace {

queue::time_point at_ms(long long millis) {
  return queue::time_point(std::chrono::milliseconds(millis));
}

admin::dead_letter letter_of(const queue::job& job) {
  admin::dead_letter letter{.id = "1700000000000-0", .fields = queue::encode(job)};
  letter.fields.insert(letter.fields.end(), {{"dead_reason", "exhausted"},
                                             {"last_error", "memory bank answered 503"},
                                             {"memory_bank_status", "503"},
                                             {"attempts", "3"},
                                             {"failed_at", "2026-11-22T04:05:06.789Z"},
                                             {"source_id", "1699999999999-0"}});
  return letter;
}

queue::job sample_job() {
  return {.request_id = "req-1",
          .op = queue::operation::create,
          .application_id = "11111111-1111-4111-8111-111111111111",
          .end_user_id = "user-1",
          .payload = {{"content", "x"}},
          .attempt = 3,
          .enqueued_at = at_ms(1'700'000'000'000),
          .deadline = at_ms(1'700'000'300'000)};
}

}  // namespace

TEST_CASE("admin dead letters: a replayed job starts again at attempt 1 with a fresh deadline",
          "[admin]") {
  const auto now = at_ms(1'800'000'000'000);
  const auto replayed = admin::replayed_job(letter_of(sample_job()), now);
  REQUIRE(replayed);
  auto expected = sample_job();
  expected.attempt = 1;
  expected.enqueued_at = now;
  expected.deadline = now + std::chrono::minutes(5);
  CHECK(*replayed == expected);
}

TEST_CASE("admin dead letters: an entry that is not a job is not replayed", "[admin]") {
  auto letter = letter_of(sample_job());
  std::erase_if(letter.fields, [](const auto& field) { return field.first == "op"; });
  const auto replayed = admin::replayed_job(letter, at_ms(1));
  REQUIRE_FALSE(replayed);
  CHECK_THAT(replayed.error(), Contains("op"));
}

TEST_CASE("admin dead letters: fields are found by name", "[admin]") {
  const auto letter = letter_of(sample_job());
  CHECK(letter.field("dead_reason") == "exhausted");
  CHECK_FALSE(letter.field("absent"));
}

namespace {

// The entry as a sink sets it aside: its own fields, then what the sink appends.
admin::dead_letter set_aside(queue::stream_fields fields) {
  fields.insert(fields.end(), {{"dead_reason", "PostgreSQL refused the row (23514): check"},
                               {"source_id", "1699999999999-0"},
                               {"failed_at", "2026-11-22T04:05:06.789Z"}});
  return {.id = "1700000000000-0", .fields = std::move(fields)};
}

admin::watched_stream stream_named(std::string_view name) {
  const auto stream = admin::watched_stream_named(name);
  REQUIRE(stream);
  return *stream;
}

}  // namespace

TEST_CASE("admin dead letters: --stream names the jobs, job_history and audit dead streams",
          "[admin]") {
  CHECK(stream_named("jobs").dead_key == queue::keys::dead_letter_stream);
  CHECK(stream_named("job_history").dead_key == queue::keys::history_dead_stream);
  CHECK(stream_named("job_history").key == queue::keys::history_stream);
  CHECK(stream_named("audit").dead_key == audit::keys::dead_stream);
  CHECK(stream_named("audit").key == audit::keys::stream);
  CHECK_FALSE(admin::watched_stream_named("history"));
  CHECK_FALSE(admin::watched_stream_named("AUDIT"));
  CHECK_FALSE(admin::watched_stream_named(""));
}

TEST_CASE("admin dead letters: a sink's dead entry is replayed with its own fields only",
          "[admin]") {
  auto event = audit::new_event("11111111-1111-4111-8111-111111111111", "search", "req-1");
  event.response_status = 200;
  const auto original = audit::encode(event);
  const auto replayed = admin::replayed_sink_entry(stream_named("audit"), set_aside(original));
  REQUIRE(replayed);
  CHECK(*replayed == original);

  const auto outcome = queue::encode_outcome({.request_id = "req-2",
                                              .application_id = event.application_id,
                                              .op = queue::operation::create,
                                              .status = queue::job_status::succeeded,
                                              .attempts = 1,
                                              .created_at = at_ms(1'700'000'000'000),
                                              .completed_at = at_ms(1'700'000'001'000)});
  const auto history = admin::replayed_sink_entry(stream_named("job_history"), set_aside(outcome));
  REQUIRE(history);
  CHECK(*history == outcome);
}

TEST_CASE("admin dead letters: a sink's dead entry it could not decode is not replayed",
          "[admin]") {
  auto event = audit::new_event("11111111-1111-4111-8111-111111111111", "search", "req-1");
  event.response_status = 200;
  auto fields = audit::encode(event);
  std::erase_if(fields, [](const auto& field) { return field.first == "request_id"; });
  const auto undecodable = admin::replayed_sink_entry(stream_named("audit"), set_aside(fields));
  REQUIRE_FALSE(undecodable);
  CHECK_THAT(undecodable.error(), Contains("cannot decode") && Contains("request_id"));

  // An audit event is not a job outcome.
  const auto elsewhere =
      admin::replayed_sink_entry(stream_named("job_history"), set_aside(audit::encode(event)));
  REQUIRE_FALSE(elsewhere);
  CHECK_THAT(elsewhere.error(), Contains("cannot decode"));
}

TEST_CASE("admin dead letters: only what a sink set aside is replayed to its stream", "[admin]") {
  auto event = audit::new_event("11111111-1111-4111-8111-111111111111", "search", "req-1");
  // Without the fields the sink appends, in its order.
  const auto bare = admin::replayed_sink_entry(
      stream_named("audit"), {.id = "1-0", .fields = {{"dead_reason", "undecodable"}}});
  REQUIRE_FALSE(bare);
  CHECK_THAT(bare.error(), Contains("not set aside"));
  auto shuffled = set_aside(audit::encode(event));
  std::swap(shuffled.fields.back(), shuffled.fields[shuffled.fields.size() - 2]);
  CHECK_FALSE(admin::replayed_sink_entry(stream_named("audit"), shuffled));
  // A job's dead letter goes back as a job (replayed_job), never through a sink.
  const auto job = admin::replayed_sink_entry(stream_named("jobs"), letter_of(sample_job()));
  REQUIRE_FALSE(job);
  CHECK_THAT(job.error(), Contains("replayed as jobs"));
}
