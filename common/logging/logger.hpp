#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <spdlog/common.h>

// Structured logging on spdlog: one JSON object per line on stdout (timestamp, level, service,
// environment, message and fields such as request_id, app_id, job_id), or readable text when
// asked. docs/logging.md documents the schema.
// Fields whose names look like credentials are always redacted, whatever a caller passes.
namespace gpt_adapter::logging {

enum class output_format { json, text };

// One structured field; any value Boost.JSON can convert (strings, numbers, bools, JSON).
struct field {
  template <typename Value>
  field(std::string_view field_name, Value&& field_value)
      : name(field_name), value(boost::json::value_from(std::forward<Value>(field_value))) {}
  std::string_view name;
  boost::json::value value;
};
using fields = std::initializer_list<field>;

// Configures the process-wide logger. Safe to call again (tests, reconfiguration). A non-empty
// `environment` (DEPLOYMENT_ENVIRONMENT of the services) is written on every JSON line.
void init(std::string service, spdlog::level::level_enum level, output_format format,
          std::string environment = {});

// Parses "trace|debug|info|warn|warning|error|critical|off"; nullopt-like false on failure.
bool parse_level(std::string_view text, spdlog::level::level_enum& level);

bool enabled(spdlog::level::level_enum level);
void write(spdlog::level::level_enum level, std::string_view message, fields extra = {});

inline void debug(std::string_view message, fields extra = {}) {
  write(spdlog::level::debug, message, extra);
}
inline void info(std::string_view message, fields extra = {}) {
  write(spdlog::level::info, message, extra);
}
inline void warn(std::string_view message, fields extra = {}) {
  write(spdlog::level::warn, message, extra);
}
inline void error(std::string_view message, fields extra = {}) {
  write(spdlog::level::err, message, extra);
}

// True for field names that carry credentials: authorization, password, secret, token, api key,
// cookie (any case, as a word inside the name).
bool is_sensitive_field(std::string_view name);

// Pure renderers, used by the logger and tested directly. An empty `environment` is left out.
std::string render_json_line(std::string_view timestamp, std::string_view level,
                             std::string_view service, std::string_view environment,
                             std::string_view message, fields extra);
std::string render_text_line(std::string_view timestamp, std::string_view level,
                             std::string_view service, std::string_view message, fields extra);

}  // namespace gpt_adapter::logging
