#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/queue/job.hpp"

namespace gpt_adapter::queue {

// Job records and outcomes carry their times as RFC 3339 UTC text with milliseconds
// (2026-11-22T04:05:06.789Z): what the API returns and what PostgreSQL reads as timestamptz.
std::string format_timestamp(time_point moment);
// Reads exactly that form, with or without the fraction (1 to 3 digits); nullopt otherwise.
std::optional<time_point> parse_timestamp(std::string_view text);

}  // namespace gpt_adapter::queue
