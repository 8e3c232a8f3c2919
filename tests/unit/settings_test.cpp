#include <fstream>

#include <catch2/catch.hpp>

#include "api/api_settings.hpp"
#include "tests/support/api_settings_input.hpp"
#include "tests/support/process.hpp"
#include "worker/worker_settings.hpp"

using namespace gpt_adapter;
using config::env_reader;
using config::env_source;
using testing::api_settings_error;
using testing::check_refused_naming_variable;
using testing::minimal_api_environment;
using testing::read_api_settings_from;

TEST_CASE("API settings take the seeds' defaults", "[config][api]") {
  const auto settings = read_api_settings_from(minimal_api_environment());
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
  auto values = minimal_api_environment();
  values.erase("JWT_SECRET_KEY");
  CHECK_THAT(api_settings_error(values), Catch::Contains("JWT_SECRET_KEY is required"));

  values["JWT_SECRET_KEY"] = std::string(31, 'k');
  CHECK_THAT(api_settings_error(values), Catch::Contains("JWT_SECRET_KEY is too short"));

  values.erase("JWT_SECRET_KEY");
  values["GPT_ADAPTER_DEV_MODE"] = "true";
  const auto dev = read_api_settings_from(values);
  CHECK(dev.signing.ephemeral);
  CHECK(dev.signing.secret.size() >= 64);
  CHECK(dev.signing.secret != read_api_settings_from(values).signing.secret);
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
  check_refused_naming_variable(bad);
  auto values = minimal_api_environment();
  values["DATABASE_POOL_MIN"] = "21";
  CHECK_THAT(api_settings_error(values), Catch::Contains("DATABASE_POOL_MIN"));
}

TEST_CASE("a small DATABASE_POOL_MAX alone lowers the pool minimum's default", "[config][api]") {
  auto values = minimal_api_environment();
  values["DATABASE_POOL_MAX"] = "3";
  const auto settings = read_api_settings_from(values);
  CHECK(settings.common.database.pool_max == 3);
  CHECK(settings.common.database.pool_min == 3);
  values["DATABASE_POOL_MIN"] = "4";
  CHECK_THAT(api_settings_error(values), Catch::Contains("DATABASE_POOL_MIN"));
}

TEST_CASE("DATABASE_ALLOW_RLS_BYPASS is off unless set", "[config][api]") {
  auto values = minimal_api_environment();
  CHECK_FALSE(read_api_settings_from(values).common.database.allow_rls_bypass);
  values["DATABASE_ALLOW_RLS_BYPASS"] = "true";
  CHECK(read_api_settings_from(values).common.database.allow_rls_bypass);
  values["DATABASE_ALLOW_RLS_BYPASS"] = "maybe";
  CHECK_THAT(api_settings_error(values), Catch::Contains("DATABASE_ALLOW_RLS_BYPASS"));
}

TEST_CASE("worker settings read the ops listener", "[config][worker]") {
  auto values = minimal_api_environment();
  values.erase("JWT_SECRET_KEY");  // the worker signs nothing
  values["WORKER_OPS_PORT"] = "9200";
  values["MEMORY_BANK_API_URL"] = "http://127.0.0.1:8765";
  const auto settings = worker::read_worker_settings(env_reader(env_source::from_map(values)));
  CHECK(settings.ops_listener.port == 9200);
}

TEST_CASE("worker settings: an add must time out before the hard time limit abandons it",
          "[config][worker]") {
  auto values = minimal_api_environment();
  values.erase("JWT_SECRET_KEY");
  values["MEMORY_BANK_API_URL"] = "http://127.0.0.1:8765";
  values["MEMORY_BANK_ADD_TIMEOUT_MS"] = "120000";
  CHECK_THROWS_WITH(worker::read_worker_settings(env_reader(env_source::from_map(values))),
                    Catch::StartsWith("MEMORY_BANK_ADD_TIMEOUT_MS") &&
                        Catch::Contains("WORKER_HARD_TIME_LIMIT_MS"));
  values["WORKER_HARD_TIME_LIMIT_MS"] = "130000";
  values["WORKER_VISIBILITY_TIMEOUT_MS"] = "160000";
  CHECK(worker::read_worker_settings(env_reader(env_source::from_map(values)))
            .memory_bank.add_timeout == std::chrono::milliseconds(120000));
}

TEST_CASE("listener ports are 1 to 65535: port 0 stops start-up naming the variable",
          "[config][api][worker]") {
  auto api = minimal_api_environment();
  api["API_PORT"] = "0";
  CHECK_THAT(api_settings_error(api), Catch::StartsWith("API_PORT") && Catch::Contains("from 1"));
  api["API_PORT"] = "1";
  CHECK(read_api_settings_from(api).listener.port == 1);

  auto worker = minimal_api_environment();
  worker.erase("JWT_SECRET_KEY");
  worker["MEMORY_BANK_API_URL"] = "http://127.0.0.1:8765";
  worker["WORKER_OPS_PORT"] = "0";
  CHECK_THROWS_WITH(worker::read_worker_settings(env_reader(env_source::from_map(worker))),
                    Catch::StartsWith("WORKER_OPS_PORT") && Catch::Contains("from 1 to 65535"));
  worker["WORKER_OPS_PORT"] = "65535";
  CHECK(worker::read_worker_settings(env_reader(env_source::from_map(worker))).ops_listener.port ==
        65535);
}

TEST_CASE("TLS files are both set or both left out", "[config][api]") {
  CHECK_FALSE(read_api_settings_from(minimal_api_environment()).listener.tls);

  auto both = minimal_api_environment();
  both["TLS_CERT_FILE"] = "/etc/tls/chain.pem";
  both["TLS_KEY_FILE"] = "/etc/tls/key.pem";
  const auto tls = read_api_settings_from(both).listener.tls;
  REQUIRE(tls);
  CHECK(tls->certificate_file == "/etc/tls/chain.pem");
  CHECK(tls->key_file == "/etc/tls/key.pem");

  auto certificate_only = minimal_api_environment();
  certificate_only["TLS_CERT_FILE"] = "/etc/tls/chain.pem";
  CHECK_THAT(api_settings_error(certificate_only), Catch::StartsWith("TLS_KEY_FILE"));
  auto key_only = minimal_api_environment();
  key_only["TLS_KEY_FILE"] = "/etc/tls/key.pem";
  CHECK_THAT(api_settings_error(key_only), Catch::StartsWith("TLS_CERT_FILE"));
}

TEST_CASE("Redis settings: credentials from variables or a file, one source each",
          "[config][redis]") {
  auto values = minimal_api_environment();
  values["REDIS_URL"] = "redis://cache:6379/0";
  values["REDIS_USERNAME"] = "queue";
  values["REDIS_PASSWORD"] = "s3cret";
  auto connection = read_api_settings_from(values).common.redis.connection;
  CHECK(connection.username == "queue");
  CHECK(connection.password == "s3cret");

  const testing::temp_dir dir("gpt-adapter-settings");
  const auto file = (dir.path() / "redis-password").string();
  {
    std::ofstream out(file);
    out << "from-a-file\n";
  }
  values.erase("REDIS_PASSWORD");
  values["REDIS_PASSWORD_FILE"] = file;
  CHECK(read_api_settings_from(values).common.redis.connection.password == "from-a-file");

  values["REDIS_PASSWORD"] = "both";
  CHECK_THAT(api_settings_error(values), Catch::Contains("REDIS_PASSWORD_FILE"));
  values.erase("REDIS_PASSWORD");
  values["REDIS_PASSWORD_FILE"] = (dir.path() / "missing").string();
  CHECK_THAT(api_settings_error(values), Catch::Contains("REDIS_PASSWORD_FILE names a file"));
  values.erase("REDIS_PASSWORD_FILE");
  CHECK_THAT(api_settings_error(values), Catch::Contains("REDIS_USERNAME needs REDIS_PASSWORD"));
  values["REDIS_PASSWORD"] = "x";
  values["REDIS_URL"] = "redis://:in-url@cache:6379/0";
  const auto refused = api_settings_error(values);
  CHECK_THAT(refused, Catch::Contains("REDIS_URL carries credentials"));
  CHECK_THAT(refused, !Catch::Contains("in-url"));
}

TEST_CASE("Redis settings: TLS and Sentinel variables need the URL that uses them",
          "[config][redis]") {
  auto values = minimal_api_environment();
  values["REDIS_TLS_CA_FILE"] = "/etc/ssl/certs/ca-certificates.crt";
  CHECK_THAT(api_settings_error(values), Catch::Contains("rediss://"));
  values["REDIS_URL"] = "rediss://cache:6380/0";
  values["REDIS_TLS_CA_FILE"] = "/nonexistent/ca.pem";
  CHECK_THAT(api_settings_error(values), Catch::Contains("REDIS_TLS_CA_FILE names a file"));
  values.erase("REDIS_TLS_CA_FILE");
  values["REDIS_TLS_CERT_FILE"] = "/nonexistent/client.pem";
  CHECK_THAT(api_settings_error(values), Catch::Contains("REDIS_TLS_KEY_FILE"));
  values.erase("REDIS_TLS_CERT_FILE");
  values["REDIS_TLS_SERVER_NAME"] = "cache.internal";
  const auto tls = read_api_settings_from(values).common.redis.connection;
  REQUIRE(tls.tls.has_value());
  CHECK(tls.tls->server_name == "cache.internal");

  values = minimal_api_environment();
  values["REDIS_SENTINEL_PASSWORD"] = "x";
  CHECK_THAT(api_settings_error(values), Catch::Contains("REDIS_SENTINEL_"));
  values["REDIS_URL"] = "redis-sentinel://s1,s2,s3#queue";
  values["REDIS_SENTINEL_USERNAME"] = "watcher";
  const auto sentinel = read_api_settings_from(values).common.redis.connection;
  REQUIRE(sentinel.sentinel.has_value());
  CHECK(sentinel.sentinel->sentinels.size() == 3);
  CHECK(sentinel.sentinel->username == "watcher");
  CHECK(sentinel.sentinel->password == "x");
}
