#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <spdlog/common.h>

#include "common/config/env_reader.hpp"
#include "common/logging/logger.hpp"
#include "common/redis/url.hpp"

// The settings both processes share, read and validated once at start-up. Every field maps to
// one environment variable documented in .env.example.
namespace gpt_adapter::config {

struct logging_settings {
  spdlog::level::level_enum level = spdlog::level::info;         // LOG_LEVEL
  logging::output_format format = logging::output_format::json;  // LOG_FORMAT
  std::string environment = "development";                       // DEPLOYMENT_ENVIRONMENT
};

struct database_settings {
  std::string url;                                  // DATABASE_URL
  std::size_t pool_min = 5;                         // DATABASE_POOL_MIN
  std::size_t pool_max = 20;                        // DATABASE_POOL_MAX
  std::chrono::milliseconds connect_timeout{5000};  // DATABASE_CONNECT_TIMEOUT_MS
  std::chrono::milliseconds query_timeout{30000};   // DATABASE_QUERY_TIMEOUT_MS
  // The API and the worker start on a superuser or BYPASSRLS role (with a warning) instead of
  // refusing to: row-level security is then not in force.
  bool allow_rls_bypass = false;  // DATABASE_ALLOW_RLS_BYPASS
};

// REDIS_URL, completed by REDIS_USERNAME, REDIS_PASSWORD or REDIS_PASSWORD_FILE,
// REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE, REDIS_TLS_SERVER_NAME,
// REDIS_SENTINEL_USERNAME, REDIS_SENTINEL_PASSWORD and REDIS_COMMAND_TIMEOUT_MS.
struct redis_settings {
  redis::connection_options connection;
};

// Certificate chain and private key, PEM files. Both or neither: without them the listener
// speaks plain HTTP (behind an ingress that terminates TLS).
struct tls_settings {
  std::string certificate_file;  // TLS_CERT_FILE
  std::string key_file;          // TLS_KEY_FILE
};

struct http_listener_settings {
  std::string host = "0.0.0.0";
  unsigned short port = 0;
  std::size_t threads = 1;
  std::chrono::milliseconds read_timeout{30000};      // HTTP_READ_TIMEOUT_MS
  std::size_t header_limit = std::size_t{16} * 1024;  // HTTP_HEADER_LIMIT_BYTES
  std::size_t body_limit = std::size_t{1024} * 1024;  // HTTP_BODY_LIMIT_BYTES
  std::optional<tls_settings> tls;                    // TLS_CERT_FILE, TLS_KEY_FILE (API only)
};

struct shutdown_settings {
  std::chrono::milliseconds readiness_delay{0};    // SHUTDOWN_READINESS_DELAY_MS
  std::chrono::milliseconds drain_timeout{20000};  // SHUTDOWN_DRAIN_TIMEOUT_MS
};

struct common_settings {
  bool dev_mode = false;  // GPT_ADAPTER_DEV_MODE
  logging_settings logging;
  database_settings database;
  redis_settings redis;
  shutdown_settings shutdown;
  std::chrono::milliseconds readiness_check_timeout{1000};  // READINESS_CHECK_TIMEOUT_MS
};

common_settings read_common_settings(const env_reader& env);
logging_settings read_logging_settings(const env_reader& env);
database_settings read_database_settings(const env_reader& env);
redis_settings read_redis_settings(const env_reader& env);

// Reads the listener's own HOST/PORT variables (API_HOST/API_PORT, WORKER_OPS_HOST/...), and
// the shared HTTP limits.
http_listener_settings read_http_listener_settings(const env_reader& env,
                                                   const std::string& host_variable,
                                                   const std::string& port_variable,
                                                   unsigned short default_port);

// Where the process reads its variables: the environment over `.env` in the working directory
// (or the file named by GPT_ADAPTER_ENV_FILE).
// TLS_CERT_FILE and TLS_KEY_FILE: both set, or neither. The files are read when the listener
// starts (see http::tls_credentials), which reports a bad file naming the variable.
std::optional<tls_settings> read_tls_settings(const env_reader& env);

env_reader process_env_reader();

}  // namespace gpt_adapter::config
