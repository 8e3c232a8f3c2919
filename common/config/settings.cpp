#include "common/config/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>
#include <utility>

#include "common/redis/connection.hpp"

namespace gpt_adapter::config {
namespace {

using std::chrono::milliseconds;

void require_url_scheme(const std::string& name, const std::string& url,
                        std::initializer_list<std::string_view> schemes) {
  for (const auto scheme : schemes) {
    if (url.starts_with(std::string(scheme) + "://")) {
      return;
    }
  }
  std::string expected;
  for (const auto scheme : schemes) {
    expected += (expected.empty() ? "" : " or ") + std::string(scheme) + "://...";
  }
  throw config_error(name + " is invalid: expected a URL starting with " + expected);
}

}  // namespace

logging_settings read_logging_settings(const env_reader& env) {
  logging_settings settings;
  const auto level = env.string_or("LOG_LEVEL", "info");
  if (!logging::parse_level(level, settings.level)) {
    throw config_error("LOG_LEVEL=\"" + level +
                       "\" is invalid: expected one of trace, debug, info, warn, error, "
                       "critical, off");
  }
  settings.format = env.one_of_or("LOG_FORMAT", "json", {"json", "text"}) == "json"
                        ? logging::output_format::json
                        : logging::output_format::text;
  settings.environment = env.string_or("DEPLOYMENT_ENVIRONMENT", "development");
  const auto& name = settings.environment;
  const bool valid =
      !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
      });
  if (!valid) {
    throw config_error("DEPLOYMENT_ENVIRONMENT=\"" + name +
                       "\" is invalid: expected 1 to 63 letters, digits, '.', '_' or '-'");
  }
  return settings;
}

database_settings read_database_settings(const env_reader& env) {
  database_settings settings;
  settings.url = env.required_string("DATABASE_URL");
  require_url_scheme("DATABASE_URL", settings.url, {"postgresql", "postgres"});
  settings.pool_max = static_cast<std::size_t>(env.integer_or("DATABASE_POOL_MAX", 20, 1, 1000));
  // A small DATABASE_POOL_MAX alone is valid: the minimum's default shrinks to fit under it.
  settings.pool_min = static_cast<std::size_t>(env.integer_or(
      "DATABASE_POOL_MIN", static_cast<std::int64_t>(std::min<std::size_t>(5, settings.pool_max)),
      0, 1000));
  if (settings.pool_min > settings.pool_max) {
    throw config_error("DATABASE_POOL_MIN (" + std::to_string(settings.pool_min) +
                       ") is invalid: expected at most DATABASE_POOL_MAX (" +
                       std::to_string(settings.pool_max) + ")");
  }
  settings.connect_timeout = env.millis_or("DATABASE_CONNECT_TIMEOUT_MS", milliseconds(5000),
                                           milliseconds(100), milliseconds(120000));
  settings.query_timeout = env.millis_or("DATABASE_QUERY_TIMEOUT_MS", milliseconds(30000),
                                         milliseconds(100), milliseconds(3600000));
  settings.allow_rls_bypass = env.boolean_or("DATABASE_ALLOW_RLS_BYPASS", false);
  return settings;
}

redis_settings read_redis_settings(const env_reader& env) {
  redis_settings settings;
  auto& connection = settings.connection;
  try {
    connection = redis::parse_url(env.required_string("REDIS_URL"));
  } catch (const std::invalid_argument& invalid) {
    throw config_error(std::string("REDIS_URL is invalid: ") + invalid.what());
  }
  connection.command_timeout = env.millis_or("REDIS_COMMAND_TIMEOUT_MS", milliseconds(2000),
                                             milliseconds(10), milliseconds(600000));
  connection.wait_replicas = static_cast<int>(env.integer_or("REDIS_WAIT_REPLICAS", 0, 0, 16));
  connection.wait_timeout = env.millis_or("REDIS_WAIT_TIMEOUT_MS", milliseconds(1000),
                                          milliseconds(10), milliseconds(60000));

  // Credentials kept out of the URL (a Secret mounted as a file, say). One source each.
  auto password = env.optional_string("REDIS_PASSWORD");
  if (const auto file = env.optional_string("REDIS_PASSWORD_FILE")) {
    if (password) {
      throw config_error("REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set: keep one");
    }
    password = read_named_file("REDIS_PASSWORD_FILE", *file);
    // A trailing newline is the editor's, not the password's.
    while (!password->empty() && (password->back() == '\n' || password->back() == '\r')) {
      password->pop_back();
    }
  }
  const auto username = env.optional_string("REDIS_USERNAME");
  if (password || username) {
    if (!connection.password.empty()) {
      throw config_error(
          "REDIS_URL carries credentials and REDIS_USERNAME/REDIS_PASSWORD(_FILE) are set too: "
          "keep one");
    }
    if (!password || password->empty()) {
      throw config_error("REDIS_USERNAME needs REDIS_PASSWORD or REDIS_PASSWORD_FILE");
    }
    connection.password = *password;
    connection.username = username.value_or("");
  }

  const auto ca_file = env.optional_string("REDIS_TLS_CA_FILE");
  const auto certificate_file = env.optional_string("REDIS_TLS_CERT_FILE");
  const auto key_file = env.optional_string("REDIS_TLS_KEY_FILE");
  const auto server_name = env.optional_string("REDIS_TLS_SERVER_NAME");
  if (!connection.tls && (ca_file || certificate_file || key_file || server_name)) {
    throw config_error(
        "REDIS_TLS_* is set but REDIS_URL does not ask for TLS: use rediss:// or "
        "rediss-sentinel://");
  }
  if (connection.tls) {
    if (certificate_file.has_value() != key_file.has_value()) {
      throw config_error("REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together: set both");
    }
    for (const auto& [variable, path] : {std::pair{"REDIS_TLS_CA_FILE", ca_file},
                                         std::pair{"REDIS_TLS_CERT_FILE", certificate_file},
                                         std::pair{"REDIS_TLS_KEY_FILE", key_file}}) {
      if (path) {
        read_named_file(variable, *path);
      }
    }
    connection.tls->files = {
        .ca_file = ca_file, .certificate_file = certificate_file, .key_file = key_file};
    connection.tls->server_name = server_name.value_or("");
    try {
      redis::make_tls_context(connection);
    } catch (const std::runtime_error& unusable) {
      throw config_error(std::string("REDIS_TLS_* cannot be used: ") + unusable.what());
    }
  }

  const auto sentinel_username = env.optional_string("REDIS_SENTINEL_USERNAME");
  const auto sentinel_password = env.optional_string("REDIS_SENTINEL_PASSWORD");
  if (!connection.sentinel && (sentinel_username || sentinel_password)) {
    throw config_error(
        "REDIS_SENTINEL_* is set but REDIS_URL names no sentinels: use "
        "redis-sentinel://host:26379,...#master");
  }
  if (connection.sentinel) {
    if (sentinel_username && !sentinel_password) {
      throw config_error("REDIS_SENTINEL_USERNAME needs REDIS_SENTINEL_PASSWORD");
    }
    connection.sentinel->username = sentinel_username.value_or("");
    connection.sentinel->password = sentinel_password.value_or("");
  }
  return settings;
}

common_settings read_common_settings(const env_reader& env) {
  common_settings settings;
  settings.dev_mode = env.boolean_or("GPT_ADAPTER_DEV_MODE", false);
  settings.logging = read_logging_settings(env);
  settings.database = read_database_settings(env);
  settings.redis = read_redis_settings(env);
  settings.shutdown.readiness_delay = env.millis_or("SHUTDOWN_READINESS_DELAY_MS", milliseconds(0),
                                                    milliseconds(0), milliseconds(600000));
  settings.shutdown.drain_timeout = env.millis_or("SHUTDOWN_DRAIN_TIMEOUT_MS", milliseconds(20000),
                                                  milliseconds(0), milliseconds(3600000));
  settings.readiness_check_timeout = env.millis_or("READINESS_CHECK_TIMEOUT_MS", milliseconds(1000),
                                                   milliseconds(10), milliseconds(60000));
  return settings;
}

http_listener_settings read_http_listener_settings(const env_reader& env,
                                                   const std::string& host_variable,
                                                   const std::string& port_variable,
                                                   unsigned short default_port) {
  http_listener_settings settings;
  settings.host = env.string_or(host_variable, "0.0.0.0");
  // Port 0 would bind wherever the kernel says, which no probe, Service or client could find.
  settings.port =
      static_cast<unsigned short>(env.integer_or(port_variable, default_port, 1, 65535));
  const auto cpus = std::max<unsigned>(1, std::thread::hardware_concurrency());
  settings.threads = static_cast<std::size_t>(env.integer_or("WORKERS", cpus, 1, 256));
  settings.read_timeout = env.millis_or("HTTP_READ_TIMEOUT_MS", milliseconds(30000),
                                        milliseconds(100), milliseconds(600000));
  settings.header_limit = static_cast<std::size_t>(env.integer_or(
      "HTTP_HEADER_LIMIT_BYTES", std::int64_t{16} * 1024, 1024, std::int64_t{1024} * 1024));
  settings.body_limit = static_cast<std::size_t>(env.integer_or(
      "HTTP_BODY_LIMIT_BYTES", std::int64_t{1024} * 1024, 1024, std::int64_t{64} * 1024 * 1024));
  return settings;
}

std::optional<tls_settings> read_tls_settings(const env_reader& env) {
  auto certificate = env.optional_string("TLS_CERT_FILE");
  auto key = env.optional_string("TLS_KEY_FILE");
  if (!certificate && !key)
    return std::nullopt;
  if (!certificate) {
    throw config_error("TLS_CERT_FILE must be set when TLS_KEY_FILE is (both or neither)");
  }
  if (!key)
    throw config_error("TLS_KEY_FILE must be set when TLS_CERT_FILE is (both or neither)");
  return tls_settings{.certificate_file = std::move(*certificate), .key_file = std::move(*key)};
}

env_reader process_env_reader() {
  const char* file = std::getenv("GPT_ADAPTER_ENV_FILE");
  return env_reader(env_source::from_process_and_file(file != nullptr ? file : ".env"));
}

}  // namespace gpt_adapter::config
