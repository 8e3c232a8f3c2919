#include <chrono>

#include <catch2/catch.hpp>

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
