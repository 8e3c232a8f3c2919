#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "api/api_settings.hpp"
#include "common/config/env_reader.hpp"

// The API's settings read from a map instead of the process environment, for the unit tests of
// what each variable does. Header-only: the test support library does not link the API.
namespace gpt_adapter::testing {

// The least the API needs to start: a database, a Redis and a signing key.
inline std::map<std::string, std::string> minimal_api_environment() {
  return {{"DATABASE_URL", "postgresql://app:pw@127.0.0.1:5432/gpt_adapter"},
          {"REDIS_URL", "redis://127.0.0.1:6379/0"},
          {"JWT_SECRET_KEY", std::string(32, 'k')}};
}

inline api::api_settings read_api_settings_from(std::map<std::string, std::string> values) {
  return api::read_api_settings(
      config::env_reader(config::env_source::from_map(std::move(values))));
}

// The config_error's message, or "no error".
inline std::string api_settings_error(std::map<std::string, std::string> values) {
  try {
    read_api_settings_from(std::move(values));
  } catch (const config::config_error& error) {
    return error.what();
  }
  return "no error";
}

// Each (variable, value), set alone over minimal_api_environment(), is refused with a message
// that names the variable.
inline void check_refused_naming_variable(
    const std::vector<std::pair<std::string, std::string>>& bad) {
  for (const auto& [name, value] : bad) {
    auto values = minimal_api_environment();
    values[name] = value;
    INFO(name << "=" << value);
    CHECK_THAT(api_settings_error(values), Catch::Contains(name));
  }
}

}  // namespace gpt_adapter::testing
