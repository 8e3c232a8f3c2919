#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gpt_adapter::config {

// A configuration value that cannot be used. The message names the variable and what is
// expected, so the process can stop at start-up with exactly that line.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where variables come from: the process environment first, then an optional `.env` file.
// Real environment variables win, so a deployment can override a checked-in file.
class env_source {
 public:
  // Reads the process environment only.
  static env_source from_process();
  // Reads the process environment and, beneath it, the dotenv file at `path` if it exists.
  static env_source from_process_and_file(const std::string& path);
  // A fixed set of variables (tests).
  static env_source from_map(std::map<std::string, std::string> values);

  std::optional<std::string> get(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Parses dotenv text: `KEY=value`, `export KEY=value`, `#` comments, single or double quotes.
// Throws config_error naming the line that cannot be parsed.
std::map<std::string, std::string> parse_dotenv(std::string_view text);

// The contents of the file a variable names (a key, a certificate, a password file). Throws
// config_error naming the variable when it cannot be read.
std::string read_named_file(std::string_view variable, const std::string& path);

// Typed, validated access to configuration variables. Every accessor either returns a valid
// value or throws config_error naming the variable and the expectation.
class env_reader {
 public:
  explicit env_reader(env_source source) : source_(std::move(source)) {}

  std::string required_string(std::string_view name) const;
  std::string string_or(std::string_view name, std::string_view fallback) const;
  std::optional<std::string> optional_string(std::string_view name) const;

  std::int64_t integer_or(std::string_view name, std::int64_t fallback, std::int64_t min,
                          std::int64_t max) const;
  bool boolean_or(std::string_view name, bool fallback) const;
  std::string one_of_or(std::string_view name, std::string_view fallback,
                        const std::vector<std::string_view>& allowed) const;
  std::chrono::milliseconds millis_or(std::string_view name, std::chrono::milliseconds fallback,
                                      std::chrono::milliseconds min,
                                      std::chrono::milliseconds max) const;

 private:
  env_source source_;
};

}  // namespace gpt_adapter::config
