#include "common/queue/timestamp.hpp"

#include <chrono>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::queue {
namespace {

// Reads `digits` decimal digits at `position`; nullopt if any is not a digit.
std::optional<int> read_digits(std::string_view text, std::size_t position, std::size_t digits) {
  if (position + digits > text.size()) {
    return std::nullopt;
  }
  int number = 0;
  for (std::size_t i = position; i < position + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    number = number * 10 + (text[i] - '0');
  }
  return number;
}

bool has_char(std::string_view text, std::size_t position, char expected) {
  return position < text.size() && text[position] == expected;
}

}  // namespace

std::string format_timestamp(time_point moment) {
  return text::format_rfc3339(std::chrono::system_clock::time_point(moment));
}

std::optional<time_point> parse_timestamp(std::string_view text) {
  const auto year = read_digits(text, 0, 4);
  const auto month = read_digits(text, 5, 2);
  const auto day = read_digits(text, 8, 2);
  const auto hour = read_digits(text, 11, 2);
  const auto minute = read_digits(text, 14, 2);
  const auto second = read_digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !has_char(text, 4, '-') ||
      !has_char(text, 7, '-') || !has_char(text, 10, 'T') || !has_char(text, 13, ':') ||
      !has_char(text, 16, ':')) {
    return std::nullopt;
  }
  std::size_t position = 19;
  int millis = 0;
  if (has_char(text, position, '.')) {
    ++position;
    std::size_t digits = 0;
    while (digits < 3 && position < text.size() && text[position] >= '0' && text[position] <= '9') {
      millis = millis * 10 + (text[position] - '0');
      ++digits;
      ++position;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    for (; digits < 3; ++digits) {
      millis *= 10;
    }
  }
  if (position + 1 != text.size() || text[position] != 'Z') {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  const auto moment = std::chrono::sys_days(date) + std::chrono::hours(*hour) +
                      std::chrono::minutes(*minute) + std::chrono::seconds(*second) +
                      std::chrono::milliseconds(millis);
  return std::chrono::time_point_cast<std::chrono::milliseconds>(moment);
}

}  // namespace gpt_adapter::queue
