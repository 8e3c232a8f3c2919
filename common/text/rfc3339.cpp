#include "common/text/rfc3339.hpp"

#include <cstdio>
#include <ctime>

namespace gpt_adapter::text {

std::string format_rfc3339(std::chrono::system_clock::time_point moment) {
  const auto seconds = std::chrono::system_clock::to_time_t(moment);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(moment.time_since_epoch()).count() %
      1000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[40];
  const auto length = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(buffer + length, sizeof(buffer) - length, ".%03dZ", static_cast<int>(millis));
  return buffer;
}

}  // namespace gpt_adapter::text
