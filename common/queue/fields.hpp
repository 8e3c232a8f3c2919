#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/queue/job.hpp"

// Helpers shared by the encoders and decoders of the queue's stream entries and hashes (jobs,
// records, outcomes): decoders read untrusted field/value pairs and report the first bad field
// by name.
namespace gpt_adapter::queue::fields {

// Appends the field only when the value is present: entries leave absent optionals out.
void append_optional(stream_fields& entry, std::string_view name,
                     const std::optional<std::string>& value);
// The same for a number, in decimal.
void append_optional(stream_fields& entry, std::string_view name, const std::optional<int>& value);

// The value of a field, or nullptr when absent.
const std::string* find(const stream_fields& entry, std::string_view name);
// The first field that appears more than once: such an entry is ambiguous and rejected.
std::optional<decode_error> find_duplicate(const stream_fields& entry);
// A whole decimal integer (optional leading '-'), nothing else.
std::optional<std::int64_t> parse_integer(std::string_view text);

decode_error missing(std::string_view field);

// Required text: present and non-empty.
std::optional<decode_error> required_text(const stream_fields& entry, std::string_view name,
                                          std::string& target);
// Optional text: absent, or present and non-empty.
std::optional<decode_error> optional_text(const stream_fields& entry, std::string_view name,
                                          std::optional<std::string>& target);
// A required integer within [min, max].
std::optional<decode_error> required_integer(const stream_fields& entry, std::string_view name,
                                             std::int64_t min, std::int64_t max,
                                             std::int64_t& target);
// An optional integer within [min, max].
std::optional<decode_error> optional_integer(const stream_fields& entry, std::string_view name,
                                             std::int64_t min, std::int64_t max,
                                             std::optional<std::int64_t>& target);
// The same two for fields held as int.
std::optional<decode_error> required_integer(const stream_fields& entry, std::string_view name,
                                             int min, int max, int& target);
std::optional<decode_error> optional_integer(const stream_fields& entry, std::string_view name,
                                             int min, int max, std::optional<int>& target);
// A required operation or job status, by its wire name (see job.hpp).
std::optional<decode_error> required_operation(const stream_fields& entry, std::string_view name,
                                               operation& target);
std::optional<decode_error> required_status(const stream_fields& entry, std::string_view name,
                                            job_status& target);
// A required RFC 3339 timestamp (see timestamp.hpp).
std::optional<decode_error> required_timestamp(const stream_fields& entry, std::string_view name,
                                               time_point& target);
std::optional<decode_error> optional_timestamp(const stream_fields& entry, std::string_view name,
                                               std::optional<time_point>& target);

}  // namespace gpt_adapter::queue::fields
