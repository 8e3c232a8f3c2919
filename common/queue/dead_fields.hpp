#pragma once

#include <string_view>

// The dead-letter convention of every stream (jobs, audit, job history): a dead entry is the
// original entry's fields followed by these, declared once for the consumers that set entries
// aside and the admin commands that replay them.
namespace gpt_adapter::queue::dead_fields {

inline constexpr std::string_view reason = "dead_reason";
inline constexpr std::string_view last_error = "last_error";
inline constexpr std::string_view memory_bank_status = "memory_bank_status";
inline constexpr std::string_view attempts = "attempts";
inline constexpr std::string_view failed_at = "failed_at";
inline constexpr std::string_view source_id = "source_id";

}  // namespace gpt_adapter::queue::dead_fields
