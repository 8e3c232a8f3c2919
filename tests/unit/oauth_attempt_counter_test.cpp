#include <catch2/catch.hpp>

#include "api/oauth/sign_in_guard.hpp"

using gpt_adapter::api::oauth::local_attempt_counter;
using namespace std::chrono_literals;

TEST_CASE("local attempt counter: fixed one-minute windows per subject", "[oauth]") {
  local_attempt_counter counter;
  const auto start = local_attempt_counter::clock::now();
  CHECK(counter.count("client:a", start).attempts == 1);
  const auto second = counter.count("client:a", start + 20s);
  CHECK(second.attempts == 2);
  CHECK(second.window_remaining == 40s);
  CHECK(counter.count("client:b", start + 20s).attempts == 1);  // subjects apart
  // The window began with the first attempt: it ends a minute later, whatever came after.
  const auto next_window = counter.count("client:a", start + 60s);
  CHECK(next_window.attempts == 1);
  CHECK(next_window.window_remaining == 60s);
}

TEST_CASE("local attempt counter: forgets ended windows once it holds many subjects", "[oauth]") {
  local_attempt_counter counter(3);
  const auto start = local_attempt_counter::clock::now();
  counter.count("a", start);
  counter.count("b", start);
  counter.count("c", start + 30s);
  CHECK(counter.subjects() == 3);
  // At a+b's end only c's window is still running: the two ended ones go.
  counter.count("d", start + 61s);
  CHECK(counter.subjects() == 2);
  // A running window is kept, however many subjects there are.
  CHECK(counter.count("c", start + 62s).attempts == 2);
}
