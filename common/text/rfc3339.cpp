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

namespace {

// Reads exactly `count` digits at `position`, advancing it.
std::optional<int> digits(std::string_view text, std::size_t& position, std::size_t count) {
  if (position + count > text.size())
    return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[position + i];
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  position += count;
  return value;
}

bool expect(std::string_view text, std::size_t& position, std::string_view one_of) {
  if (position >= text.size() || one_of.find(text[position]) == std::string_view::npos) {
    return false;
  }
  ++position;
  return true;
}

}  // namespace

std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_rfc3339(
    std::string_view text) {
  using namespace std::chrono;
  std::size_t at = 0;
  const auto year = digits(text, at, 4);
  if (!year || !expect(text, at, "-"))
    return std::nullopt;
  const auto month = digits(text, at, 2);
  if (!month || !expect(text, at, "-"))
    return std::nullopt;
  const auto day = digits(text, at, 2);
  if (!day || !expect(text, at, "Tt"))
    return std::nullopt;
  const auto hour = digits(text, at, 2);
  if (!hour || !expect(text, at, ":"))
    return std::nullopt;
  const auto minute = digits(text, at, 2);
  if (!minute || !expect(text, at, ":"))
    return std::nullopt;
  const auto second = digits(text, at, 2);
  if (!second)
    return std::nullopt;

  int millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t first = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (at - first < 3)
        millis = millis * 10 + (text[at] - '0');
      ++at;
    }
    if (at == first)
      return std::nullopt;
    for (auto kept = at - first; kept < 3; ++kept)
      millis *= 10;
  }

  minutes offset{0};
  if (!expect(text, at, "Zz")) {
    if (at >= text.size() || (text[at] != '+' && text[at] != '-'))
      return std::nullopt;
    const int sign = text[at] == '-' ? -1 : 1;
    ++at;
    const auto offset_hours = digits(text, at, 2);
    if (!offset_hours || !expect(text, at, ":"))
      return std::nullopt;
    const auto offset_minutes = digits(text, at, 2);
    if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59)
      return std::nullopt;
    offset = minutes(sign * (*offset_hours * 60 + *offset_minutes));
  }
  if (at != text.size())
    return std::nullopt;

  const year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                            std::chrono::day(*day)};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59)
    return std::nullopt;
  return sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) +
         milliseconds(millis) - offset;
}

}  // namespace gpt_adapter::text
