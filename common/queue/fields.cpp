#include "common/queue/fields.hpp"

#include <charconv>
#include <system_error>

#include "common/queue/timestamp.hpp"

namespace gpt_adapter::queue::fields {

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
