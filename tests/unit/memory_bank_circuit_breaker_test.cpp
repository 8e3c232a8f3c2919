#include <catch2/catch.hpp>

#include "common/memory_bank/circuit_breaker.hpp"

namespace gpt_adapter::memory_bank {
namespace {

using namespace std::chrono_literals;
using clock_type = circuit_breaker::clock;

struct fake_clock {
  clock_type::time_point now{clock_type::duration{1'000'000'000}};
  std::function<clock_type::time_point()> source() {
    return [this] { return now; };
  }
};

breaker_settings seeds() {
  return {.consecutive_failures = 5,
          .failure_rate = 0.5,
          .minimum_calls = 20,
          .window = 60s,
          .open_duration = 60s};
}

void fail(circuit_breaker& breaker) {
  const auto call = breaker.acquire();
  REQUIRE(call.allowed);
  breaker.record_failure(call);
}

void succeed(circuit_breaker& breaker) {
  const auto call = breaker.acquire();
  REQUIRE(call.allowed);
  breaker.record_success(call);
}

}  // namespace

TEST_CASE("memory_bank breaker opens after the configured failures in a row",
          "[memory_bank][breaker]") {
  fake_clock time;
  circuit_breaker breaker(seeds(), time.source());
  for (int i = 0; i < 4; ++i) {
    fail(breaker);
  }
  CHECK(breaker.state() == circuit_state::closed);
  fail(breaker);
  CHECK(breaker.state() == circuit_state::open);
  CHECK(breaker.openings() == 1);

  const auto refused = breaker.acquire();
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == 60s);
  time.now += 15s;
  CHECK(breaker.acquire().retry_after == 45s);
  CHECK(breaker.time_until_trial() == 45s);
}

TEST_CASE("memory_bank breaker counts only failures in a row", "[memory_bank][breaker]") {
  fake_clock time;
  circuit_breaker breaker(seeds(), time.source());
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) {
      fail(breaker);
    }
    succeed(breaker);
  }
  // 12 failures out of 15 calls: below the 20 calls the rate needs, and never 5 in a row.
  CHECK(breaker.state() == circuit_state::closed);
}

TEST_CASE("memory_bank breaker lets one trial through after the open duration",
          "[memory_bank][breaker]") {
  fake_clock time;
  circuit_breaker breaker(seeds(), time.source());
  for (int i = 0; i < 5; ++i) {
    fail(breaker);
  }
  time.now += 59s;
  CHECK_FALSE(breaker.acquire().allowed);
  time.now += 1s;

  const auto trial = breaker.acquire();
  REQUIRE(trial.allowed);
  CHECK(trial.trial);
  CHECK(breaker.state() == circuit_state::half_open);

  const auto second = breaker.acquire();
  CHECK_FALSE(second.allowed);
  CHECK(second.retry_after == 1s);

  SECTION("a successful trial closes the breaker") {
    breaker.record_success(trial);
    CHECK(breaker.state() == circuit_state::closed);
    CHECK(breaker.acquire().allowed);
    // Past failures are forgotten: four more do not reopen it.
    for (int i = 0; i < 4; ++i) {
      fail(breaker);
    }
    CHECK(breaker.state() == circuit_state::closed);
  }
  SECTION("a failed trial opens it again for a full open duration") {
    breaker.record_failure(trial);
    CHECK(breaker.state() == circuit_state::open);
    CHECK(breaker.openings() == 2);
    CHECK(breaker.acquire().retry_after == 60s);
  }
  SECTION("a trial never reported is replaced after the open duration") {
    time.now += 60s;
    const auto replacement = breaker.acquire();
    CHECK(replacement.allowed);
    CHECK(replacement.trial);
  }
}

TEST_CASE("memory_bank breaker opens on the failure rate over its window",
          "[memory_bank][breaker]") {
  fake_clock time;
  circuit_breaker breaker(seeds(), time.source());
  // Alternate: never two failures in a row, half of all calls failing.
  for (int i = 0; i < 9; ++i) {
    succeed(breaker);
    fail(breaker);
    time.now += 1s;
  }
  CHECK(breaker.state() == circuit_state::closed);  // 18 calls: below the minimum of 20
  succeed(breaker);
  fail(breaker);
  CHECK(breaker.state() == circuit_state::open);
}

TEST_CASE("memory_bank breaker forgets failures older than its window", "[memory_bank][breaker]") {
  fake_clock time;
  circuit_breaker breaker(seeds(), time.source());
  for (int i = 0; i < 9; ++i) {
    succeed(breaker);
    fail(breaker);
  }
  time.now += 61s;
  // Only these calls are in the window now: 11 calls, not enough for the rate.
  for (int i = 0; i < 5; ++i) {
    succeed(breaker);
    fail(breaker);
  }
  succeed(breaker);
  CHECK(breaker.state() == circuit_state::closed);
}

TEST_CASE("memory_bank breaker ignores outcomes of calls that started before it opened",
          "[memory_bank][breaker]") {
  fake_clock time;
  circuit_breaker breaker(seeds(), time.source());
  const auto late = breaker.acquire();
  for (int i = 0; i < 5; ++i) {
    fail(breaker);
  }
  breaker.record_success(late);
  CHECK(breaker.state() == circuit_state::open);
  CHECK(to_string(breaker.state()) == "open");
}

}  // namespace gpt_adapter::memory_bank
