#include "common/text/rfc3339.hpp"

#include <cstdio>
#include <ctime>

namespace gpt_adapter::text {

std::string format_rfc3339(std::chrono::sys_time<std::chrono::milliseconds> moment) {
  using namespace std::chrono;
  // floor, not the truncation of to_time_t and %: before 1970 too, the milliseconds count up.
  const auto day = floor<days>(moment);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{moment - day};
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
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
  const auto moment = sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) +
                      milliseconds(millis) - offset;
  // An offset must not carry the moment out of the four-digit years the text can hold.
  const auto utc_year = year_month_day{floor<days>(moment)}.year();
  if (utc_year < std::chrono::year(0) || utc_year > std::chrono::year(9999))
    return std::nullopt;
  return moment;
}

}  // namespace gpt_adapter::text
