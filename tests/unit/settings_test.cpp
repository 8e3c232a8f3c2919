#include <catch2/catch.hpp>

#include "api/api_settings.hpp"
#include "worker/worker_settings.hpp"

using namespace gpt_adapter;
using config::config_error;
using config::env_reader;
using config::env_source;

namespace {

std::map<std::string, std::string> valid_api_environment() {
  return {{"DATABASE_URL", "postgresql://app:pw@127.0.0.1:5432/gpt_adapter"},
          {"REDIS_URL", "redis://127.0.0.1:6379/0"},
          {"JWT_SECRET_KEY", std::string(32, 'k')}};
}

api::api_settings read_api(std::map<std::string, std::string> values) {
  return api::read_api_settings(env_reader(env_source::from_map(std::move(values))));
}

std::string api_error(std::map<std::string, std::string> values) {
  try {
    read_api(std::move(values));
  } catch (const config_error& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("API settings take the seeds' defaults", "[config][api]") {
  const auto settings = read_api(valid_api_environment());
  CHECK(settings.listener.port == 8000);
  CHECK(settings.listener.host == "0.0.0.0");
  CHECK(settings.common.database.pool_min == 5);
  CHECK(settings.common.database.pool_max == 20);
  CHECK(settings.signing.algorithm == "HS256");
  CHECK(settings.signing.access_token_lifetime == std::chrono::minutes(60));
  CHECK_FALSE(settings.signing.ephemeral);
  CHECK(settings.common.logging.format == logging::output_format::json);
}

TEST_CASE("API settings have no default signing key", "[config][api]") {
  auto values = valid_api_environment();
  values.erase("JWT_SECRET_KEY");
  CHECK_THAT(api_error(values), Catch::Contains("JWT_SECRET_KEY is required"));

  values["JWT_SECRET_KEY"] = std::string(31, 'k');
  CHECK_THAT(api_error(values), Catch::Contains("JWT_SECRET_KEY is too short"));

  values.erase("JWT_SECRET_KEY");
  values["GPT_ADAPTER_DEV_MODE"] = "true";
  const auto dev = read_api(values);
  CHECK(dev.signing.ephemeral);
  CHECK(dev.signing.secret.size() >= 64);
  CHECK(dev.signing.secret != read_api(values).signing.secret);
}

TEST_CASE("API settings name the variable that is wrong", "[config][api]") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"DATABASE_URL", "mysql://x"},
      {"REDIS_URL", "http://x"},
      {"REDIS_URL", "redis://host:notaport"},
      {"API_PORT", "-1"},
      {"WORKERS", "0"},
      {"LOG_LEVEL", "chatty"},
      {"LOG_FORMAT", "xml"},
      {"JWT_ALGORITHM", "none"},
      {"JWT_EXPIRATION_MINUTES", "0"},
      {"HTTP_BODY_LIMIT_BYTES", "12"},
      {"GPT_ADAPTER_DEV_MODE", "perhaps"},
      {"SHUTDOWN_DRAIN_TIMEOUT_MS", "soon"},
  };
  for (const auto& [name, value] : bad) {
    auto values = valid_api_environment();
    values[name] = value;
    INFO(name << "=" << value);
    CHECK_THAT(api_error(values), Catch::Contains(name));
  }
  auto values = valid_api_environment();
  values["DATABASE_POOL_MIN"] = "21";
  CHECK_THAT(api_error(values), Catch::Contains("DATABASE_POOL_MIN"));
}

TEST_CASE("worker settings read the ops listener", "[config][worker]") {
  auto values = valid_api_environment();
  values.erase("JWT_SECRET_KEY");  // the worker signs nothing
  values["WORKER_OPS_PORT"] = "9200";
  const auto settings = worker::read_worker_settings(env_reader(env_source::from_map(values)));
  CHECK(settings.ops_listener.port == 9200);
}

TEST_CASE("TLS files are both set or both left out", "[config][api]") {
  CHECK_FALSE(read_api(valid_api_environment()).listener.tls);

  auto both = valid_api_environment();
  both["TLS_CERT_FILE"] = "/etc/tls/chain.pem";
  both["TLS_KEY_FILE"] = "/etc/tls/key.pem";
  const auto tls = read_api(both).listener.tls;
  REQUIRE(tls);
  CHECK(tls->certificate_file == "/etc/tls/chain.pem");
  CHECK(tls->key_file == "/etc/tls/key.pem");

  auto certificate_only = valid_api_environment();
  certificate_only["TLS_CERT_FILE"] = "/etc/tls/chain.pem";
  CHECK_THAT(api_error(certificate_only), Catch::StartsWith("TLS_KEY_FILE"));
  auto key_only = valid_api_environment();
  key_only["TLS_KEY_FILE"] = "/etc/tls/key.pem";
  CHECK_THAT(api_error(key_only), Catch::StartsWith("TLS_CERT_FILE"));
}
