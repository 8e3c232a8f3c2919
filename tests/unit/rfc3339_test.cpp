#include "common/text/rfc3339.hpp"

#include <chrono>

#include <catch2/catch.hpp>

using gpt_adapter::text::format_rfc3339;
using gpt_adapter::text::parse_rfc3339;
using std::chrono::milliseconds;

namespace {

long long millis(std::string_view text) {
  const auto parsed = parse_rfc3339(text);
  REQUIRE(parsed);
  return parsed->time_since_epoch().count();
}

}  // namespace

TEST_CASE("RFC 3339 date-times are read with their offset applied", "[rfc3339]") {
  CHECK(millis("1970-01-01T00:00:00Z") == 0);
  CHECK(millis("2026-11-22T04:05:06.789Z") == 1795320306789);
  CHECK(millis("2026-11-22t04:05:06.7891234z") == 1795320306789);
  CHECK(millis("2026-11-22T05:05:06.789+01:00") == 1795320306789);
  CHECK(millis("2026-11-21T23:35:06.789-04:30") == 1795320306789);
  CHECK(millis("2024-02-29T00:00:00.5Z") == 1709164800500);
  CHECK(format_rfc3339(*parse_rfc3339("2026-11-22T05:05:06.789+01:00")) ==
        "2026-11-22T04:05:06.789Z");
}

TEST_CASE("every date-time that is read can be written back, far from 1970 too", "[rfc3339]") {
  // Found by fuzz/fuzz_json_body: a date_range bound in year 226 overflowed system_clock's
  // nanoseconds (undefined behaviour) on its way to the job payload.
  for (const auto* text :
       {"0000-01-01T00:00:00.000Z", "0226-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z",
        "1677-09-21T00:12:43.145Z", "2262-04-11T23:47:16.855Z", "9999-12-31T23:59:59.999Z"}) {
    INFO(text);
    const auto parsed = parse_rfc3339(text);
    REQUIRE(parsed);
    CHECK(format_rfc3339(*parsed) == text);
  }
  // An offset that would carry the moment out of the four-digit years is refused.
  CHECK_FALSE(parse_rfc3339("0000-01-01T00:30:00+01:00"));
  CHECK_FALSE(parse_rfc3339("9999-12-31T23:30:00-01:00"));
  CHECK(parse_rfc3339("0000-01-01T01:30:00+01:00"));
}

TEST_CASE("anything that is not an RFC 3339 date-time is refused", "[rfc3339]") {
  for (const auto* text :
       {"", "2026-11-22", "2026-11-22T04:05:06", "2026-11-22 04:05:06Z", "2026-11-22T04:05Z",
        "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
        "2026-11-22T24:00:00Z", "2026-11-22T23:60:00Z", "2026-11-22T23:59:60Z",
        "2026-11-22T04:05:06.Z", "2026-11-22T04:05:06+0100", "2026-11-22T04:05:06+24:00",
        "2026-11-22T04:05:06Zjunk", "+2026-11-22T04:05:06Z", "2026-1-22T04:05:06Z"}) {
    INFO(text);
    CHECK_FALSE(parse_rfc3339(text));
  }
}
