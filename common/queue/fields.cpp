#include "common/queue/fields.hpp"

#include <charconv>
#include <system_error>

#include "common/queue/timestamp.hpp"

namespace gpt_adapter::queue::fields {
namespace {

template <typename Value, typename Parse>
std::optional<decode_error> required_name(const stream_fields& entry, std::string_view name,
                                          std::string_view kind, Parse parse, Value& target) {
  const std::string* text = find(entry, name);
  if (text == nullptr) {
    return missing(name);
  }
  const auto value = parse(*text);
  if (!value) {
    return decode_error{std::string(name), "unknown " + std::string(kind) + " '" + *text + "'"};
  }
  target = *value;
  return std::nullopt;
}

}  // namespace

void append_optional(stream_fields& entry, std::string_view name,
                     const std::optional<std::string>& value) {
  if (value) {
    entry.emplace_back(std::string(name), *value);
  }
}

void append_optional(stream_fields& entry, std::string_view name, const std::optional<int>& value) {
  if (value) {
    entry.emplace_back(std::string(name), std::to_string(*value));
  }
}

const std::string* find(const stream_fields& entry, std::string_view name) {
  for (const auto& [field, value] : entry) {
    if (field == name) {
      return &value;
    }
  }
  return nullptr;
}

std::optional<decode_error> find_duplicate(const stream_fields& entry) {
  for (std::size_t i = 0; i < entry.size(); ++i) {
    for (std::size_t j = i + 1; j < entry.size(); ++j) {
      if (entry[i].first == entry[j].first) {
        return decode_error{entry[i].first, "field appears more than once"};
      }
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return number;
}

decode_error missing(std::string_view field) {
  return decode_error{std::string(field), "required field is missing"};
}

std::optional<decode_error> required_text(const stream_fields& entry, std::string_view name,
                                          std::string& target) {
  const std::string* text = find(entry, name);
  if (text == nullptr) {
    return missing(name);
  }
  if (text->empty()) {
    return decode_error{std::string(name), "must not be empty"};
  }
  target = *text;
  return std::nullopt;
}

std::optional<decode_error> optional_text(const stream_fields& entry, std::string_view name,
                                          std::optional<std::string>& target) {
  const std::string* text = find(entry, name);
  if (text == nullptr) {
    return std::nullopt;
  }
  if (text->empty()) {
    return decode_error{std::string(name), "must not be empty when present"};
  }
  target = *text;
  return std::nullopt;
}

std::optional<decode_error> optional_integer(const stream_fields& entry, std::string_view name,
                                             std::int64_t min, std::int64_t max,
                                             std::optional<std::int64_t>& target) {
  const std::string* text = find(entry, name);
  if (text == nullptr) {
    return std::nullopt;
  }
  const auto number = parse_integer(*text);
  if (!number || *number < min || *number > max) {
    return decode_error{std::string(name), "must be an integer from " + std::to_string(min) +
                                               " to " + std::to_string(max)};
  }
  target = *number;
  return std::nullopt;
}

std::optional<decode_error> required_integer(const stream_fields& entry, std::string_view name,
                                             std::int64_t min, std::int64_t max,
                                             std::int64_t& target) {
  std::optional<std::int64_t> number;
  if (auto error = optional_integer(entry, name, min, max, number)) {
    return error;
  }
  if (!number) {
    return missing(name);
  }
  target = *number;
  return std::nullopt;
}

std::optional<decode_error> required_integer(const stream_fields& entry, std::string_view name,
                                             int min, int max, int& target) {
  std::int64_t number = 0;
  if (auto error = required_integer(entry, name, std::int64_t{min}, std::int64_t{max}, number)) {
    return error;
  }
  target = static_cast<int>(number);
  return std::nullopt;
}

std::optional<decode_error> optional_integer(const stream_fields& entry, std::string_view name,
                                             int min, int max, std::optional<int>& target) {
  std::optional<std::int64_t> number;
  if (auto error = optional_integer(entry, name, std::int64_t{min}, std::int64_t{max}, number)) {
    return error;
  }
  if (number) {
    target = static_cast<int>(*number);
  }
  return std::nullopt;
}

std::optional<decode_error> required_operation(const stream_fields& entry, std::string_view name,
                                               operation& target) {
  return required_name(entry, name, "operation", parse_operation, target);
}

std::optional<decode_error> required_status(const stream_fields& entry, std::string_view name,
                                            job_status& target) {
  return required_name(entry, name, "status", parse_job_status, target);
}

std::optional<decode_error> optional_timestamp(const stream_fields& entry, std::string_view name,
                                               std::optional<time_point>& target) {
  const std::string* text = find(entry, name);
  if (text == nullptr) {
    return std::nullopt;
  }
  const auto moment = parse_timestamp(*text);
  if (!moment) {
    return decode_error{std::string(name), "must be an RFC 3339 UTC timestamp"};
  }
  target = *moment;
  return std::nullopt;
}

std::optional<decode_error> required_timestamp(const stream_fields& entry, std::string_view name,
                                               time_point& target) {
  std::optional<time_point> moment;
  if (auto error = optional_timestamp(entry, name, moment)) {
    return error;
  }
  if (!moment) {
    return missing(name);
  }
  target = *moment;
  return std::nullopt;
}

}  // namespace gpt_adapter::queue::fields
