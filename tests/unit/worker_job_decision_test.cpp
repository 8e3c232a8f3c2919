#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "common/config/env_reader.hpp"
#include "worker/job_decision.hpp"
#include "worker/worker_settings.hpp"

namespace queue = gpt_adapter::queue;
namespace worker = gpt_adapter::worker;
namespace memory_bank = gpt_adapter::memory_bank;
using namespace std::chrono_literals;
using action = worker::job_decision::action;
using kind = memory_bank::call_result::kind;

namespace {

const queue::time_point start{std::chrono::milliseconds(1'700'000'000'000)};

queue::job job_at_attempt(int attempt) {
  queue::job value;
  value.request_id = "req-1";
  value.application_id = "app-1";
  value.attempt = attempt;
  value.enqueued_at = start;
  value.deadline = start + 60s;
  return value;
}

memory_bank::call_result answer(kind outcome) {
  memory_bank::call_result result;
  result.outcome = outcome;
  return result;
}

const worker::event_polling polling{.first = 500ms, .longest = 4000ms};

// Random source fixed at the top of the range, so the backoff equals its ceiling (minus 1 ms).
queue::retry_policy policy() {
  return queue::retry_policy({.max_attempts = 3, .base_delay = 2s, .max_delay = 60s},
                             [] { return 0.999999; });
}

worker::job_settings read(std::map<std::string, std::string> values) {
  return worker::read_job_settings(gpt_adapter::config::env_reader(
      gpt_adapter::config::env_source::from_map(std::move(values))));
}

}  // namespace

TEST_CASE("worker decision: success, not found and rejected are final", "[worker][decision]") {
  const auto job = job_at_attempt(1);
  CHECK(worker::decide(job, answer(kind::ok), policy(), start, 250ms, polling).what ==
        action::succeed);
  CHECK(worker::decide(job, answer(kind::not_found), policy(), start, 250ms, polling).what ==
        action::fail);
  const auto rejected =
      worker::decide(job, answer(kind::rejected), policy(), start, 250ms, polling);
  CHECK(rejected.what == action::dead_letter);
  CHECK(rejected.reason == queue::dead_letter_reason::not_retryable);
}

TEST_CASE("worker decision: transient failures back off, then exhaust", "[worker][decision]") {
  const auto first =
      worker::decide(job_at_attempt(1), answer(kind::transient), policy(), start, 250ms, polling);
  CHECK(first.what == action::retry);
  CHECK(first.delay > 1900ms);
  CHECK(first.delay < 2000ms);
  const auto second =
      worker::decide(job_at_attempt(2), answer(kind::transient), policy(), start, 250ms, polling);
  CHECK(second.what == action::retry);
  CHECK(second.delay > 3900ms);
  CHECK(second.delay < 4000ms);
  const auto last =
      worker::decide(job_at_attempt(3), answer(kind::transient), policy(), start, 250ms, polling);
  CHECK(last.what == action::dead_letter);
  CHECK(last.reason == queue::dead_letter_reason::exhausted);
}

TEST_CASE("worker decision: Retry-After is a floor, the deadline a ceiling", "[worker][decision]") {
  auto limited = answer(kind::transient);
  limited.retry_after = 10s;
  const auto waited = worker::decide(job_at_attempt(1), limited, policy(), start, 250ms, polling);
  CHECK(waited.what == action::retry);
  CHECK(waited.delay == 10s);
  limited.retry_after = 61s;
  const auto late = worker::decide(job_at_attempt(1), limited, policy(), start, 250ms, polling);
  CHECK(late.what == action::dead_letter);
  CHECK(late.reason == queue::dead_letter_reason::past_deadline);
}

TEST_CASE("worker decision: an open circuit delays without an attempt, within the deadline",
          "[worker][decision]") {
  auto open = answer(kind::circuit_open);
  open.retry_after = 5s;
  const auto delayed = worker::decide(job_at_attempt(3), open, policy(), start, 250ms, polling);
  CHECK(delayed.what == action::delay);
  CHECK(delayed.delay == 5s);
  CHECK(delayed.error_code == queue::job_error_code::memory_bank_unavailable);
  open.retry_after = 0ms;
  CHECK(worker::decide(job_at_attempt(1), open, policy(), start, 250ms, polling).delay == 250ms);
  open.retry_after = 5s;
  const auto late = worker::decide(job_at_attempt(1), open, policy(), start + 58s, 250ms, polling);
  CHECK(late.what == action::dead_letter);
  CHECK(late.reason == queue::dead_letter_reason::past_deadline);
  CHECK(late.error_code == queue::job_error_code::memory_bank_unavailable);
}

TEST_CASE("worker decision: only an open circuit records memory_bank_unavailable",
          "[worker][decision]") {
  for (const auto outcome : {kind::ok, kind::not_found, kind::rejected, kind::transient}) {
    INFO(static_cast<int>(outcome));
    CHECK_FALSE(worker::decide(job_at_attempt(1), answer(outcome), policy(), start, 250ms, polling)
                    .error_code.has_value());
  }
}

TEST_CASE("worker decision: a job without an end user acts in its application's namespace",
          "[worker][decision]") {
  auto job = job_at_attempt(1);
  CHECK(worker::job_owner(job).user_id == "app:app-1");
  job.end_user_id = "0b6c2f9e-8d1a-4c55-9a43-2f3e1b7d9c10";
  CHECK(worker::job_owner(job).user_id == "0b6c2f9e-8d1a-4c55-9a43-2f3e1b7d9c10");
}

TEST_CASE("worker decision: an add the Memory Bank is still processing waits for its next poll",
          "[worker][decision]") {
  auto job = job_at_attempt(2);
  auto working = answer(kind::in_progress);
  working.event_id = "evt-1";
  const auto first = worker::decide(job, working, policy(), start, 250ms, polling);
  CHECK(first.what == action::await_event);
  CHECK(first.delay == 500ms);
  job.event_polls = 2;
  CHECK(worker::decide(job, working, policy(), start, 250ms, polling).delay == 2000ms);
  job.event_polls = 10;
  CHECK(worker::decide(job, working, policy(), start, 250ms, polling).delay == 4000ms);
  // Never past the deadline: the job is given up with the reason.
  const auto late = worker::decide(job, working, policy(), start + 57s, 250ms, polling);
  CHECK(late.what == action::dead_letter);
  CHECK(late.reason == queue::dead_letter_reason::past_deadline);
  CHECK(worker::event_poll_delay(polling, 0) == 500ms);
  CHECK(worker::event_poll_delay(polling, 1) == 1000ms);
  CHECK(worker::event_poll_delay(polling, 100) == 4000ms);
}

TEST_CASE("worker decision: refused credentials are retried and recorded as unauthorized",
          "[worker][decision]") {
  const auto first = worker::decide(job_at_attempt(1), answer(kind::unauthorized), policy(), start,
                                    250ms, polling);
  CHECK(first.what == action::retry);
  CHECK(first.error_code == queue::job_error_code::memory_bank_unauthorized);
  const auto last = worker::decide(job_at_attempt(3), answer(kind::unauthorized), policy(), start,
                                   250ms, polling);
  CHECK(last.what == action::dead_letter);
  CHECK(last.reason == queue::dead_letter_reason::exhausted);
}

TEST_CASE("worker decision: a poison entry or a passed deadline is dead-lettered, not run",
          "[worker][decision]") {
  const auto job = job_at_attempt(1);
  const worker::delivery_count fresh{.deliveries = 5, .max_deliveries = 5};
  const worker::delivery_count poison{.deliveries = 6, .max_deliveries = 5};
  CHECK_FALSE(worker::refuse_attempt(job, fresh, start).has_value());
  const auto refused = worker::refuse_attempt(job, poison, start);
  REQUIRE(refused.has_value());
  CHECK(refused->find("handed out 6 times") != std::string::npos);
  // Whatever the answer: a poison entry is not settled as its outcome.
  const auto dead = worker::decide(job, answer(kind::ok), policy(), start, 250ms, polling, poison);
  CHECK(dead.what == action::dead_letter);
  CHECK(dead.reason == queue::dead_letter_reason::redelivered);

  CHECK(worker::refuse_attempt(job, fresh, start + 61s) ==
        std::optional<std::string>("deadline passed before the attempt started"));
  // Past the deadline, anything but a final answer dies as past_deadline, even a rejection.
  const auto late =
      worker::decide(job, answer(kind::rejected), policy(), start + 61s, 250ms, polling, fresh);
  CHECK(late.what == action::dead_letter);
  CHECK(late.reason == queue::dead_letter_reason::past_deadline);
  CHECK(worker::decide(job, answer(kind::ok), policy(), start + 61s, 250ms, polling, fresh).what ==
        action::succeed);
}

TEST_CASE("worker settings: the heartbeat TTL is at least twice its interval",
          "[worker][settings]") {
  const auto defaults = read({});
  CHECK(defaults.heartbeat_interval == 1000ms);
  CHECK(defaults.heartbeat_ttl == 5000ms);
  CHECK_THROWS_WITH(
      read({{"WORKER_HEARTBEAT_INTERVAL_MS", "1000"}, {"WORKER_HEARTBEAT_TTL_MS", "1500"}}),
      Catch::Contains("WORKER_HEARTBEAT_TTL_MS"));
}

TEST_CASE("worker settings: defaults follow the seeds", "[worker][settings]") {
  const auto settings = read({});
  CHECK(settings.concurrency == 16);
  CHECK(settings.soft_time_limit == 100s);
  CHECK(settings.hard_time_limit == 120s);
  CHECK(settings.visibility_timeout > settings.hard_time_limit);
  CHECK(settings.retry.max_attempts == 3);
  CHECK(settings.retry.base_delay == 2s);
  CHECK(settings.record_ttl == std::chrono::hours(24));
  CHECK(settings.max_deliveries == 5);
  CHECK_FALSE(settings.consumer_name.empty());
}

TEST_CASE("worker settings: each bad value names its variable", "[worker][settings]") {
  const auto rejects = [](std::map<std::string, std::string> values, const std::string& name) {
    INFO(name);
    CHECK_THROWS_WITH(read(std::move(values)), Catch::Contains(name));
  };
  rejects({{"WORKER_CONCURRENCY", "0"}}, "WORKER_CONCURRENCY");
  rejects({{"WORKER_CONCURRENCY", "many"}}, "WORKER_CONCURRENCY");
  rejects({{"WORKER_SOFT_TIME_LIMIT_MS", "130000"}}, "WORKER_SOFT_TIME_LIMIT_MS");
  rejects({{"WORKER_VISIBILITY_TIMEOUT_MS", "120000"}}, "WORKER_VISIBILITY_TIMEOUT_MS");
  rejects({{"WORKER_SHUTDOWN_GRACE_MS", "-1"}}, "WORKER_SHUTDOWN_GRACE_MS");
  rejects({{"JOB_MAX_ATTEMPTS", "0"}}, "JOB_MAX_ATTEMPTS");
  rejects({{"JOB_MAX_DELIVERIES", "0"}}, "JOB_MAX_DELIVERIES");
  rejects({{"JOB_RETRY_BASE_DELAY_MS", "5000"}, {"JOB_RETRY_MAX_DELAY_MS", "100"}},
          "JOB_RETRY_MAX_DELAY_MS");
  rejects({{"JOB_RECORD_TTL_SECONDS", "1"}}, "JOB_RECORD_TTL_SECONDS");
}
