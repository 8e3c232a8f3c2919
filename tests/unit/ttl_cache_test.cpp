#include "common/cache/ttl_cache.hpp"

#include <chrono>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

using gpt_adapter::cache::ttl_cache;
using namespace std::chrono_literals;

namespace {

using clock_type = ttl_cache<int>::clock;
const clock_type::time_point start{std::chrono::hours(1000)};

// Stores `value` under `key` as a load that found the cache as it is now.
bool load(ttl_cache<int>& cache, const std::string& key, int value, clock_type::duration ttl,
          clock_type::time_point now = start) {
  const auto generation = cache.find(key, now).generation;
  return cache.store(key, value, now + ttl, generation, now);
}

}  // namespace

TEST_CASE("ttl_cache: a value is a hit until its own deadline, then a miss", "[cache]") {
  ttl_cache<int> cache;
  CHECK_FALSE(cache.find("a", start).value);
  REQUIRE(load(cache, "a", 1, 10s));
  REQUIRE(load(cache, "b", 2, 20s));

  CHECK(cache.find("a", start + 9s).value == 1);
  CHECK_FALSE(cache.find("a", start + 10s).value);
  CHECK(cache.find("b", start + 19s).value == 2);
  CHECK_FALSE(cache.find("b", start + 20s).value);

  // A reload replaces the value and its deadline.
  REQUIRE(load(cache, "a", 3, 30s, start + 15s));
  CHECK(cache.find("a", start + 40s).value == 3);
  CHECK(cache.size() == 2);
}

TEST_CASE("ttl_cache: a load that an invalidation overtook is not stored", "[cache]") {
  ttl_cache<int> cache;
  REQUIRE(load(cache, "a", 1, 10s));

  SECTION("erase") {
    const auto before = cache.find("b", start).generation;
    CHECK(cache.erase("a"));
    CHECK_FALSE(cache.find("a", start).value);
    CHECK_FALSE(cache.store("b", 2, start + 10s, before, start));
    CHECK_FALSE(cache.find("b", start).value);
    // Erasing what is not there still invalidates: the load may be about to store it.
    const auto again = cache.find("b", start).generation;
    CHECK_FALSE(cache.erase("b"));
    CHECK_FALSE(cache.store("b", 2, start + 10s, again, start));
  }
  SECTION("erase_if drops what matches") {
    REQUIRE(load(cache, "b", 2, 10s));
    REQUIRE(load(cache, "c", 3, 10s));
    const auto before = cache.find("d", start).generation;
    CHECK(cache.erase_if(
              [](const std::string& key, int value) { return key == "a" || value == 3; }) == 2);
    CHECK_FALSE(cache.find("a", start).value);
    CHECK(cache.find("b", start).value == 2);
    CHECK_FALSE(cache.find("c", start).value);
    CHECK_FALSE(cache.store("d", 4, start + 10s, before, start));
  }
  SECTION("clear") {
    const auto before = cache.find("b", start).generation;
    CHECK(cache.clear() == 1);
    CHECK(cache.size() == 0);
    CHECK_FALSE(cache.store("b", 2, start + 10s, before, start));
    CHECK(load(cache, "b", 2, 10s));
    CHECK(cache.find("b", start).value == 2);
  }
}

TEST_CASE(
    "ttl_cache: a full cache makes room from expired entries only, at most once a sweep "
    "interval",
    "[cache]") {
  ttl_cache<int> cache(2, 15s);
  REQUIRE(load(cache, "a", 1, 10s));
  REQUIRE(load(cache, "b", 2, 60s));

  // Full of live entries: the new value is not kept, the old ones stay.
  CHECK_FALSE(load(cache, "c", 3, 60s, start + 1s));
  CHECK_FALSE(cache.find("c", start + 1s).value);
  CHECK(cache.find("a", start + 1s).value == 1);
  // Replacing a cached key needs no room.
  CHECK(load(cache, "b", 20, 60s, start + 1s));

  // "a" expired at +10 s, but the last sweep (at +1 s) is too recent to scan again.
  CHECK_FALSE(load(cache, "c", 3, 60s, start + 11s));
  // After the interval, the sweep drops "a" and makes room.
  CHECK(load(cache, "c", 3, 60s, start + 16s));
  CHECK(cache.size() == 2);
  CHECK(cache.find("b", start + 16s).value == 20);
  CHECK(cache.find("c", start + 16s).value == 3);
}

TEST_CASE("ttl_cache: with room for no entry it caches nothing", "[cache]") {
  ttl_cache<int> cache(0);
  CHECK_FALSE(load(cache, "a", 1, 10s));
  CHECK_FALSE(cache.find("a", start).value);
  CHECK(cache.size() == 0);
}

TEST_CASE("ttl_cache: values are shared, not copied, when they are pointers", "[cache]") {
  ttl_cache<std::shared_ptr<const std::string>> cache;
  const auto value = std::make_shared<const std::string>("state");
  const auto generation = cache.find("k", start).generation;
  REQUIRE(cache.store("k", value, start + 1s, generation, start));
  const auto hit = cache.find("k", start).value;
  REQUIRE(hit);
  CHECK(hit->get() == value.get());
}
