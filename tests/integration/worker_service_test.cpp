#include <signal.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/services.hpp"

using namespace gpt_adapter::testing;

TEST_CASE("worker serves its ops endpoints and stops on SIGTERM", "[integration][worker]") {
  postgres_server database;
  redis_server redis;
  auto environment = service_environment(database, redis);
  environment["DEPLOYMENT_ENVIRONMENT"] = "staging";
  service_process worker(worker_binary, environment, "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));

  const auto health = http_get(worker.port(), "/health");
  CHECK(health.json().as_object().at("status").as_string() == "healthy");

  REQUIRE(wait_until([&] { return http_get(worker.port(), "/health/ready").status == 200; }, 15s));
  redis.stop();
  REQUIRE(wait_until([&] { return http_get(worker.port(), "/health/ready").status == 503; }, 15s));
  redis.start();
  REQUIRE(wait_until([&] { return http_get(worker.port(), "/health/ready").status == 200; }, 20s));

  const auto metrics = parse_prometheus_text(http_get(worker.port(), "/metrics").body);
  CHECK(metrics.find("process_cpu_seconds_total"));
  CHECK(metrics.find("gpt_adapter_http_requests_total"));

  const auto unknown = http_get(worker.port(), "/api/v1/search");
  CHECK(unknown.status == 404);
  CHECK(unknown.header("content-type") == "application/problem+json");

  for (const auto& line : worker.log_lines()) {
    CHECK(line.at("service").as_string() == "gpt-adapter-worker");
    CHECK(line.at("environment").as_string() == "staging");
  }
  worker.process().signal(SIGTERM);
  CHECK(worker.process().wait_exit(10s) == 0);
}

TEST_CASE("worker refuses bad configuration, naming the variable", "[integration][worker]") {
  temp_dir dir;
  child_process worker({.argv = {built_binary(worker_binary).string()},
                        .environment = {{"DATABASE_URL", "postgresql://127.0.0.1:1/x"},
                                        {"REDIS_URL", "redis://127.0.0.1:1/0"},
                                        {"WORKER_OPS_PORT", "-5"},
                                        {"GPT_ADAPTER_ENV_FILE", "/nonexistent/.env"}},
                        .output_file = dir.path() / "output.log"});
  CHECK(worker.wait_exit(10s) == 78);
  CHECK(worker.output().find("WORKER_OPS_PORT") != std::string::npos);
}
