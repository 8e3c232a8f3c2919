#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gpt_adapter::text {

// RFC 3339 UTC timestamp with milliseconds, e.g. 2026-11-22T04:05:06.789Z, for any moment
// parse_rfc3339 reads (years 0000 to 9999). Milliseconds, not system_clock's nanoseconds, whose
// 64 bits end in 1677 and 2262: a date a caller sent must not overflow on its way to the text.
std::string format_rfc3339(std::chrono::sys_time<std::chrono::milliseconds> moment);
inline std::string utc_now_rfc3339() {
  return format_rfc3339(
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
}

// Reads an RFC 3339 date-time (section 5.6): `T` or `t`, any number of fraction digits (kept to
// the millisecond), `Z`, `z` or a numeric offset, which is applied. Checks the calendar (no
// February 30th; a leap second is refused). std::nullopt for anything else.
std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_rfc3339(
    std::string_view text);

}  // namespace gpt_adapter::text
