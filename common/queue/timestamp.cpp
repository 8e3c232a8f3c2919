#include "common/queue/timestamp.hpp"

#include <chrono>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::queue {

std::string format_timestamp(time_point moment) {
  return text::format_rfc3339(moment);
}

std::optional<time_point> parse_timestamp(std::string_view text) {
  // Only the form format_timestamp writes: UTC, at most millisecond precision.
  const auto dot = text.find('.');
  const bool millisecond_fraction = dot == std::string_view::npos || text.size() - dot <= 5;
  if (!text.ends_with('Z') || !millisecond_fraction) {
    return std::nullopt;
  }
  return text::parse_rfc3339(text);
}

}  // namespace gpt_adapter::queue
