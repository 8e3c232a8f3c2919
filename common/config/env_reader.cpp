#include "common/config/env_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace gpt_adapter::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text) {
  std::map<std::string, std::string> values;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.starts_with("export ")) {
      line = trim(line.substr(7));
    }
    const auto equals = line.find('=');
    const std::string_view name = trim(line.substr(0, equals));
    if (equals == std::string_view::npos || !valid_name(name)) {
      throw config_error(".env line " + std::to_string(line_number) +
                         ": expected NAME=value with NAME of letters, digits and underscores");
    }
    std::string_view value = trim(line.substr(equals + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (const auto comment = value.find(" #"); comment != std::string_view::npos) {
      value = trim(value.substr(0, comment));
    }
    values.insert_or_assign(std::string(name), std::string(value));
  }
  return values;
}

env_source env_source::from_process() {
  env_source source;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string_view::npos) {
      source.values_.insert_or_assign(std::string(text.substr(0, equals)),
                                      std::string(text.substr(equals + 1)));
    }
  }
  return source;
}

env_source env_source::from_process_and_file(const std::string& path) {
  env_source source = from_process();
  std::ifstream file(path);
  if (!file) {
    return source;
  }
  std::stringstream contents;
  contents << file.rdbuf();
  for (auto& [name, value] : parse_dotenv(contents.str())) {
    source.values_.try_emplace(name, std::move(value));
  }
  return source;
}

env_source env_source::from_map(std::map<std::string, std::string> values) {
  env_source source;
  source.values_.insert(std::make_move_iterator(values.begin()),
                        std::make_move_iterator(values.end()));
  return source;
}

std::optional<std::string> env_source::get(std::string_view name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::optional<std::string> env_reader::optional_string(std::string_view name) const {
  auto value = source_.get(name);
  if (value && trim(*value).empty()) {
    return std::nullopt;
  }
  return value;
}

std::string env_reader::required_string(std::string_view name) const {
  auto value = optional_string(name);
  if (!value) {
    throw config_error(std::string(name) + " is required but not set");
  }
  return *value;
}

std::string env_reader::string_or(std::string_view name, std::string_view fallback) const {
  return optional_string(name).value_or(std::string(fallback));
}

std::int64_t env_reader::integer_or(std::string_view name, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) const {
  const auto value = optional_string(name);
  if (!value) {
    return fallback;
  }
  const std::string_view text = trim(*value);
  std::int64_t parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc{} || end != text.data() + text.size() || parsed < min || parsed > max) {
    throw config_error(std::string(name) + "=\"" + *value +
                       "\" is invalid: expected an integer from " + std::to_string(min) + " to " +
                       std::to_string(max));
  }
  return parsed;
}

bool env_reader::boolean_or(std::string_view name, bool fallback) const {
  const auto value = optional_string(name);
  if (!value) {
    return fallback;
  }
  std::string lowered(trim(*value));
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered == "1" || lowered == "true" || lowered == "yes" || lowered == "on") {
    return true;
  }
  if (lowered == "0" || lowered == "false" || lowered == "no" || lowered == "off") {
    return false;
  }
  throw config_error(std::string(name) + "=\"" + *value +
                     "\" is invalid: expected true/false, yes/no, on/off or 1/0");
}

std::string env_reader::one_of_or(std::string_view name, std::string_view fallback,
                                  const std::vector<std::string_view>& allowed) const {
  const auto value = optional_string(name);
  if (!value) {
    return std::string(fallback);
  }
  const std::string_view text = trim(*value);
  if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) {
    return std::string(text);
  }
  std::string expected;
  for (const auto& option : allowed) {
    expected += expected.empty() ? "" : ", ";
    expected += option;
  }
  throw config_error(std::string(name) + "=\"" + *value + "\" is invalid: expected one of " +
                     expected);
}

std::chrono::milliseconds env_reader::millis_or(std::string_view name,
                                                std::chrono::milliseconds fallback,
                                                std::chrono::milliseconds min,
                                                std::chrono::milliseconds max) const {
  return std::chrono::milliseconds(integer_or(name, fallback.count(), min.count(), max.count()));
}

std::string read_named_file(std::string_view variable, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw config_error(std::string(variable) + " names a file that cannot be read: " + path);
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace gpt_adapter::config
