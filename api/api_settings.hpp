#pragma once

#include <chrono>
#include <string>

#include "common/config/settings.hpp"

namespace gpt_adapter::api {

struct signing_settings {
  std::string algorithm = "HS256";  // JWT_ALGORITHM
  std::string secret;               // JWT_SECRET_KEY, or generated in dev mode
  bool ephemeral = false;           // generated at start-up: tokens die with the process
  std::chrono::minutes access_token_lifetime{60};  // JWT_EXPIRATION_MINUTES
};

struct api_settings {
  config::common_settings common;
  config::http_listener_settings listener;  // API_HOST, API_PORT, WORKERS, HTTP_*
  signing_settings signing;
};

// Minimum HMAC key length: RFC 7518 §3.2 requires a key at least as long as the hash (256 bits).
inline constexpr std::size_t min_hmac_secret_bytes = 32;

// Reads and validates everything the API needs; throws config::config_error naming the
// variable. There is no default signing key: JWT_SECRET_KEY must be set unless
// GPT_ADAPTER_DEV_MODE is on, in which case an ephemeral random key is generated.
api_settings read_api_settings(const config::env_reader& env);

}  // namespace gpt_adapter::api
