#include "common/queue/retry_policy.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <catch2/catch.hpp>

namespace queue = gpt_adapter::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

queue::retry_policy fixed_policy(double random_value, queue::retry_settings settings = {}) {
  return queue::retry_policy(settings, [random_value] { return random_value; });
}

const queue::time_point now{milliseconds(1'700'000'000'000)};
const queue::time_point far_deadline = now + std::chrono::hours(1);

}  // namespace

TEST_CASE("queue retry_policy: defaults follow the seeds", "[queue][retry]") {
  const queue::retry_settings defaults;
  CHECK(defaults.max_attempts == 3);
  CHECK(defaults.base_delay == seconds(2));
  CHECK(defaults.max_delay == seconds(60));
}

TEST_CASE("queue retry_policy: the ceiling doubles per attempt up to the cap", "[queue][retry]") {
  const auto policy = fixed_policy(0.5);
  CHECK(policy.backoff_ceiling(1) == seconds(2));
  CHECK(policy.backoff_ceiling(2) == seconds(4));
  CHECK(policy.backoff_ceiling(3) == seconds(8));
  CHECK(policy.backoff_ceiling(4) == seconds(16));
  CHECK(policy.backoff_ceiling(5) == seconds(32));
  CHECK(policy.backoff_ceiling(6) == seconds(60));
  CHECK(policy.backoff_ceiling(1000) == seconds(60));
}

TEST_CASE("queue retry_policy: full jitter scales the ceiling by the random value",
          "[queue][retry]") {
  const milliseconds ceilings[] = {seconds(2), seconds(4), seconds(8), seconds(16), seconds(32)};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    INFO("attempt " << attempt);
    const auto ceiling = ceilings[attempt - 1];
    CHECK(fixed_policy(0.0).backoff(attempt) == milliseconds(0));
    CHECK(fixed_policy(0.5).backoff(attempt) == ceiling / 2);
    const auto near_top = fixed_policy(0.999).backoff(attempt);
    CHECK(near_top == milliseconds(ceiling.count() * 999 / 1000));
    CHECK(near_top < ceiling);
  }
}

TEST_CASE("queue retry_policy: the delay stays below the ceiling even for a random value of 1",
          "[queue][retry]") {
  CHECK(fixed_policy(1.0).backoff(1) == milliseconds(1999));
  CHECK(fixed_policy(7.0).backoff(1) == milliseconds(1999));
  CHECK(fixed_policy(-1.0).backoff(1) == milliseconds(0));
}

TEST_CASE("queue retry_policy: a configured cap and base bound the delay", "[queue][retry]") {
  const auto policy = fixed_policy(
      0.999, {.max_attempts = 10, .base_delay = milliseconds(100), .max_delay = milliseconds(250)});
  CHECK(policy.backoff_ceiling(1) == milliseconds(100));
  CHECK(policy.backoff_ceiling(2) == milliseconds(200));
  CHECK(policy.backoff_ceiling(3) == milliseconds(250));
  CHECK(policy.backoff(9) == milliseconds(249));
}

TEST_CASE("queue retry_policy: a retryable failure with attempts left is retried after the backoff",
          "[queue][retry]") {
  const auto policy = fixed_policy(0.5);
  const auto first = policy.decide(1, queue::error_class::retryable, now, far_deadline);
  REQUIRE(first.retries());
  CHECK_FALSE(first.dead_letter.has_value());
  CHECK(*first.retry_at == now + seconds(1));
  const auto second = policy.decide(2, queue::error_class::retryable, now, far_deadline);
  REQUIRE(second.retries());
  CHECK(*second.retry_at == now + seconds(2));
}

TEST_CASE("queue retry_policy: the last attempt is exhausted", "[queue][retry]") {
  const auto policy = fixed_policy(0.5);
  for (int attempt : {3, 4}) {
    const auto decision = policy.decide(attempt, queue::error_class::retryable, now, far_deadline);
    CHECK_FALSE(decision.retries());
    CHECK(decision.dead_letter == queue::dead_letter_reason::exhausted);
  }
  const auto more = fixed_policy(0.5, {.max_attempts = 5});
  CHECK(more.decide(4, queue::error_class::retryable, now, far_deadline).retries());
}

TEST_CASE("queue retry_policy: a not retryable failure goes to the dead letters at once",
          "[queue][retry]") {
  const auto decision =
      fixed_policy(0.5).decide(1, queue::error_class::not_retryable, now, far_deadline);
  CHECK_FALSE(decision.retries());
  CHECK(decision.dead_letter == queue::dead_letter_reason::not_retryable);
}

TEST_CASE("queue retry_policy: a retry due at or after the deadline is cut off", "[queue][retry]") {
  const auto policy = fixed_policy(0.5);
  // Attempt 1 at 0.5 waits one second.
  CHECK(policy.decide(1, queue::error_class::retryable, now, now + milliseconds(1001)).retries());
  const auto at_deadline =
      policy.decide(1, queue::error_class::retryable, now, now + milliseconds(1000));
  CHECK(at_deadline.dead_letter == queue::dead_letter_reason::past_deadline);
  const auto already_past =
      fixed_policy(0.0).decide(1, queue::error_class::retryable, now, now - milliseconds(1));
  CHECK(already_past.dead_letter == queue::dead_letter_reason::past_deadline);
}

TEST_CASE("queue retry_policy: dead-letter reasons have names", "[queue][retry]") {
  CHECK(queue::to_string(queue::dead_letter_reason::exhausted) == "exhausted");
  CHECK(queue::to_string(queue::dead_letter_reason::not_retryable) == "not_retryable");
  CHECK(queue::to_string(queue::dead_letter_reason::past_deadline) == "past_deadline");
}

TEST_CASE("queue retry_policy: Memory Bank statuses are classified", "[queue][retry]") {
  using queue::error_class;
  for (int status : {408, 429, 500, 502, 503, 504, 599}) {
    INFO(status);
    CHECK(queue::classify_memory_bank_status(status) == error_class::retryable);
  }
  for (int status : {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 499}) {
    INFO(status);
    CHECK(queue::classify_memory_bank_status(status) == error_class::not_retryable);
  }
  CHECK(queue::transport_error_class == error_class::retryable);
  CHECK(queue::invalid_payload_class == error_class::not_retryable);
}

TEST_CASE("queue retry_policy: invalid settings are refused", "[queue][retry]") {
  const auto random = [] { return 0.5; };
  CHECK_THROWS_AS(queue::retry_policy({.max_attempts = 0}, random), std::invalid_argument);
  CHECK_THROWS_AS(queue::retry_policy({.base_delay = seconds(10), .max_delay = seconds(5)}, random),
                  std::invalid_argument);
  CHECK_THROWS_AS(queue::retry_policy({}, nullptr), std::invalid_argument);
}

TEST_CASE(
    "queue retry_policy: the default random source yields values from 0 up to but excluding 1",
    "[queue][retry]") {
  const auto random = queue::default_random_source();
  double lowest = 1.0;
  double highest = 0.0;
  for (int i = 0; i < 1000; ++i) {
    const double value = random();
    REQUIRE(value >= 0.0);
    REQUIRE(value < 1.0);
    lowest = std::min(lowest, value);
    highest = std::max(highest, value);
  }
  CHECK(lowest < 0.1);
  CHECK(highest > 0.9);
}
