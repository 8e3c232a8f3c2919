#include "common/logging/logger.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>

#include <boost/json/serialize.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::logging {
namespace {

struct logger_state {
  std::mutex mutex;  // guards reconfiguration only; spdlog's sink has its own lock
  std::shared_ptr<spdlog::logger> logger;
  std::string service = "gpt-adapter";
  std::string environment;
  output_format format = output_format::json;
};

logger_state& state() {
  static logger_state instance;
  return instance;
}

std::shared_ptr<spdlog::logger> current_logger() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.logger) {
    s.logger = spdlog::stdout_logger_mt("gpt-adapter-default");
    s.logger->set_pattern("%v");
    s.logger->set_level(spdlog::level::info);
  }
  return s.logger;
}

const boost::json::value& redacted(std::string_view name, const boost::json::value& value) {
  static const boost::json::value marker("[REDACTED]");
  return is_sensitive_field(name) ? marker : value;
}

}  // namespace

bool is_sensitive_field(std::string_view name) {
  std::string lowered(name);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::tolower(c));
  });
  static constexpr std::array<std::string_view, 8> markers = {
      "authorization", "password", "secret", "token", "api_key", "apikey", "cookie", "credential"};
  return std::any_of(markers.begin(), markers.end(), [&](std::string_view marker) {
    return lowered.find(marker) != std::string::npos;
  });
}

bool parse_level(std::string_view text, spdlog::level::level_enum& level) {
  static constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 8> names = {{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  }};
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [name, value] : names) {
    if (lowered == name) {
      level = value;
      return true;
    }
  }
  return false;
}

void init(std::string service, spdlog::level::level_enum level, output_format format,
          std::string environment) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.logger) {
    s.logger = spdlog::stdout_logger_mt("gpt-adapter");
  }
  s.logger->set_pattern("%v");
  s.logger->set_level(level);
  s.logger->flush_on(spdlog::level::trace);
  s.service = std::move(service);
  s.environment = std::move(environment);
  s.format = format;
}

bool enabled(spdlog::level::level_enum level) {
  return current_logger()->should_log(level);
}

void write(spdlog::level::level_enum level, std::string_view message, fields extra) {
  auto logger = current_logger();
  if (!logger->should_log(level)) {
    return;
  }
  const auto level_name = spdlog::level::to_string_view(level);
  const std::string_view level_text(level_name.data(), level_name.size());
  auto& s = state();
  const std::string line =
      s.format == output_format::json
          ? render_json_line(text::utc_now_rfc3339(), level_text, s.service, s.environment, message,
                             extra)
          : render_text_line(text::utc_now_rfc3339(), level_text, s.service, message, extra);
  logger->log(level, "{}", line);
}

std::string render_json_line(std::string_view timestamp, std::string_view level,
                             std::string_view service, std::string_view environment,
                             std::string_view message, fields extra) {
  boost::json::object line;
  line["timestamp"] = timestamp;
  line["level"] = level == "warning" ? "warn" : level;
  line["service"] = service;
  if (!environment.empty()) {
    line["environment"] = environment;
  }
  line["message"] = message;
  for (const auto& [name, value] : extra) {
    // A field may not replace the standard keys that log pipelines index on.
    const bool reserved = line.contains(name);
    line[reserved ? "field_" + std::string(name) : std::string(name)] = redacted(name, value);
  }
  return boost::json::serialize(line);
}

std::string render_text_line(std::string_view timestamp, std::string_view level,
                             std::string_view service, std::string_view message, fields extra) {
  std::string line;
  line.append(timestamp).append(" ").append(level).append(" [").append(service).append("] ");
  line.append(message);
  for (const auto& [name, value] : extra) {
    const auto& shown = redacted(name, value);
    line.append(" ").append(name).append("=");
    line.append(shown.is_string() ? std::string(shown.as_string()) : boost::json::serialize(shown));
  }
  return line;
}

}  // namespace gpt_adapter::logging
