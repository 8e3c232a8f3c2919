#pragma once

#include <chrono>
#include <string>

namespace gpt_adapter::text {

// RFC 3339 UTC timestamp with milliseconds, e.g. 2026-11-22T04:05:06.789Z.
std::string format_rfc3339(std::chrono::system_clock::time_point moment);
inline std::string utc_now_rfc3339() {
  return format_rfc3339(std::chrono::system_clock::now());
}

}  // namespace gpt_adapter::text
