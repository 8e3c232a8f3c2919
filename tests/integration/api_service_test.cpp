#include <array>
#include <signal.h>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/services.hpp"

using namespace gpt_adapter::testing;
namespace bhttp = boost::beast::http;

namespace {

void check_problem(const http_reply& reply, int status) {
  CHECK(reply.status == status);
  CHECK(reply.header("content-type") == "application/problem+json");
  const auto body = reply.json().as_object();
  CHECK(body.at("status").as_int64() == status);
  CHECK(body.contains("type"));
  CHECK(body.contains("title"));
  CHECK(!reply.header("x-request-id").empty());
  CHECK(body.at("request_id").as_string() == reply.header("x-request-id"));
}

std::string dependency_state(const http_reply& reply, const char* name) {
  const auto body = reply.json().as_object();
  if (!body.contains("dependencies")) {
    return {};
  }
  return std::string(body.at("dependencies").as_object().at(name).as_string());
}

double requests_in_flight(unsigned short port) {
  const auto metrics = parse_prometheus_text(http_get(port, "/metrics").body);
  return metrics.value("gpt_adapter_http_requests_in_flight").value_or(0);
}

// Blocks the Redis server for `seconds` (DEBUG SLEEP), as a stalled dependency would.
void freeze_redis(const redis_server& redis, int seconds) {
  child_process cli({.argv = {"/usr/bin/redis-cli", "-p", std::to_string(redis.port()), "DEBUG",
                              "SLEEP", std::to_string(seconds)}});
  cli.wait_exit(std::chrono::seconds(seconds + 10));
}

// Whether Redis answers a PING on a fresh connection within `timeout`.
bool redis_answers_within(unsigned short port, std::chrono::milliseconds timeout) {
  boost::asio::io_context context;
  boost::beast::tcp_stream stream(context);
  const std::string ping = "PING\r\n";
  std::array<char, 16> answer{};
  bool answered = false;
  // tcp_stream's expiry covers asynchronous operations only.
  stream.expires_after(timeout);
  stream.async_connect(
      {boost::asio::ip::make_address("127.0.0.1"), port}, [&](boost::system::error_code error) {
        if (error) {
          return;
        }
        boost::asio::async_write(
            stream, boost::asio::buffer(ping), [&](boost::system::error_code error, std::size_t) {
              if (error) {
                return;
              }
              stream.async_read_some(
                  boost::asio::buffer(answer),
                  [&](boost::system::error_code error, std::size_t) { answered = !error; });
            });
      });
  context.run();
  return answered;
}

}  // namespace

TEST_CASE("API liveness, routing errors and request ids", "[integration][api]") {
  postgres_server database;
  redis_server redis;
  service_process api(api_binary, service_environment(database, redis), "API_PORT");
  REQUIRE(api.wait_healthy(15s));

  SECTION("GET /health answers healthy with version and timestamp") {
    const auto reply = http_get(api.port(), "/health");
    REQUIRE(reply.status == 200);
    CHECK(reply.header("content-type") == "application/json");
    const auto body = reply.json().as_object();
    CHECK(body.at("status").as_string() == "healthy");
    CHECK(!body.at("version").as_string().empty());
    CHECK(body.at("timestamp").as_string().size() == 24);
    CHECK(reply.header("x-request-id").size() == 36);
  }

  SECTION("a valid caller request id is echoed, an unsafe one replaced") {
    auto reply = http_request(api.port(),
                              {.target = "/health", .headers = {{"X-Request-ID", "gpt-call.42"}}});
    CHECK(reply.header("x-request-id") == "gpt-call.42");
    reply = http_request(api.port(),
                         {.target = "/health", .headers = {{"X-Request-ID", "bad id\"<script>"}}});
    CHECK(reply.header("x-request-id").size() == 36);
    CHECK(reply.header("x-request-id") != "bad id\"<script>");
  }

  SECTION("unknown path is a 404 problem") {
    const auto reply = http_get(api.port(), "/no/such/thing");
    check_problem(reply, 404);
    CHECK(reply.json().as_object().at("instance").as_string() == "/no/such/thing");
  }

  SECTION("wrong method is a 405 problem with Allow") {
    const auto reply = http_request(api.port(), {.method = bhttp::verb::post, .target = "/health"});
    check_problem(reply, 405);
    CHECK(reply.header("allow") == "GET");
  }

  SECTION("keep-alive serves several requests on one connection") {
    http_connection connection(api.port());
    for (int i = 0; i < 5; ++i) {
      CHECK(connection.request({.target = "/health"}).status == 200);
    }
  }

  SECTION("malformed request is a 400 problem and the connection closes") {
    http_connection connection(api.port());
    const auto reply = connection.raw("GARBAGE / HTTP/9.9\r\n\r\n");
    check_problem(reply, 400);
    CHECK(connection.closed_by_peer(5s));
  }

  SECTION("logs are JSON lines with timestamp, level, service, environment and message") {
    const auto lines = api.log_lines();
    REQUIRE(!lines.empty());
    for (const auto& line : lines) {
      CHECK(line.contains("timestamp"));
      CHECK(line.contains("level"));
      CHECK(line.at("service").as_string() == "gpt-adapter-api");
      // DEPLOYMENT_ENVIRONMENT is not set here: its default.
      CHECK(line.at("environment").as_string() == "development");
      CHECK(line.contains("message"));
    }
    CHECK(api.output().find("test-signing-key") == std::string::npos);
  }
}

TEST_CASE("API enforces header and body limits", "[integration][api]") {
  postgres_server database;
  redis_server redis;
  auto environment = service_environment(database, redis);
  environment["HTTP_BODY_LIMIT_BYTES"] = "2048";
  environment["HTTP_HEADER_LIMIT_BYTES"] = "2048";
  service_process api(api_binary, environment, "API_PORT");
  REQUIRE(api.wait_healthy(15s));

  SECTION("declared body over the limit is a 413 problem") {
    const auto reply = http_request(
        api.port(),
        {.method = bhttp::verb::post, .target = "/health", .body = std::string(4096, 'x')});
    check_problem(reply, 413);
  }

  SECTION("chunked body over the limit is a 413 problem") {
    http_connection connection(api.port());
    std::string chunk(3000, 'y');
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", chunk.size());
    const auto reply =
        connection.raw("POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       std::string(size) + "\r\n" + chunk + "\r\n0\r\n\r\n");
    check_problem(reply, 413);
  }

  SECTION("headers over the limit are a 431 problem") {
    const auto reply = http_request(
        api.port(), {.target = "/health", .headers = {{"X-Padding", std::string(4096, 'z')}}});
    check_problem(reply, 431);
  }
}

TEST_CASE("API readiness follows its dependencies without a restart", "[integration][api]") {
  postgres_server database;
  redis_server redis;
  service_process api(api_binary, service_environment(database, redis), "API_PORT");
  REQUIRE(api.wait_healthy(15s));

  auto ready = [&] { return http_get(api.port(), "/health/ready"); };
  REQUIRE(wait_until([&] { return ready().status == 200; }, 15s, 50ms));
  const auto first = ready();
  CHECK(first.json().as_object().at("status").as_string() == "ready");
  CHECK(dependency_state(first, "postgres") == "ok");
  CHECK(dependency_state(first, "redis") == "ok");

  redis.stop();
  REQUIRE(wait_until([&] { return ready().status == 503; }, 15s, 50ms));
  auto reply = ready();
  CHECK(reply.json().as_object().at("status").as_string() == "not_ready");
  CHECK(dependency_state(reply, "redis") == "unavailable");
  CHECK(dependency_state(reply, "postgres") == "ok");
  CHECK(http_get(api.port(), "/health").status == 200);  // liveness never depends on Redis

  redis.start();
  REQUIRE(wait_until([&] { return ready().status == 200; }, 20s, 50ms));

  database.stop();
  REQUIRE(wait_until([&] { return ready().status == 503; }, 15s, 50ms));
  reply = ready();
  CHECK(dependency_state(reply, "postgres") == "unavailable");
  CHECK(dependency_state(reply, "redis") == "ok");

  database.start();
  REQUIRE(wait_until([&] { return ready().status == 200; }, 30s, 50ms));
  CHECK(api.process().running());
}

TEST_CASE("API exposes Prometheus metrics", "[integration][api]") {
  postgres_server database;
  redis_server redis;
  service_process api(api_binary, service_environment(database, redis), "API_PORT");
  REQUIRE(api.wait_healthy(15s));
  for (int i = 0; i < 3; ++i) {
    http_get(api.port(), "/health");
  }
  http_get(api.port(), "/missing");

  const auto reply = http_get(api.port(), "/metrics");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type").starts_with("text/plain; version=0.0.4"));
  const auto metrics = parse_prometheus_text(reply.body);
  // wait_healthy polled /health too, so at least the three calls here were counted.
  const auto health_count =
      metrics.value("gpt_adapter_http_requests_total",
                    {{"method", "GET"}, {"route", "/health"}, {"status", "200"}});
  REQUIRE(health_count);
  CHECK(*health_count >= 3);
  CHECK(metrics.value("gpt_adapter_http_requests_total",
                      {{"method", "GET"}, {"route", "unmatched"}, {"status", "404"}}) == 1.0);
  REQUIRE(metrics.find("gpt_adapter_http_request_duration_seconds"));
  CHECK(metrics.find("gpt_adapter_http_request_duration_seconds")->type == "histogram");
  CHECK(metrics.value("process_resident_memory_bytes").value_or(0) > 0);
  CHECK(metrics.value("process_open_fds").value_or(0) >= 3);
}

TEST_CASE("API shuts down gracefully on SIGTERM", "[integration][api]") {
  postgres_server database;
  redis_server redis;

  SECTION("readiness fails first, liveness keeps answering, then exit 0") {
    auto environment = service_environment(database, redis);
    environment["SHUTDOWN_READINESS_DELAY_MS"] = "1500";
    service_process api(api_binary, environment, "API_PORT");
    REQUIRE(api.wait_healthy(15s));
    REQUIRE(wait_until([&] { return http_get(api.port(), "/health/ready").status == 200; }, 15s));

    api.process().signal(SIGTERM);
    REQUIRE(wait_until([&] { return http_get(api.port(), "/health/ready").status == 503; }, 1s));
    const auto reply = http_get(api.port(), "/health/ready");
    CHECK(reply.json().as_object().at("reason").as_string() == "shutting_down");
    CHECK(http_get(api.port(), "/health").status == 200);
    CHECK(api.process().wait_exit(10s) == 0);
  }

  SECTION("a request in flight completes before the process exits") {
    auto environment = service_environment(database, redis);
    environment["READINESS_CHECK_TIMEOUT_MS"] = "1500";
    service_process api(api_binary, environment, "API_PORT");
    REQUIRE(api.wait_healthy(15s));
    http_connection idle(api.port());
    REQUIRE(idle.request({.target = "/health"}).status == 200);

    // Frozen Redis makes the readiness probe take its full timeout: a slow request.
    std::thread freeze([&] { freeze_redis(redis, 3); });
    REQUIRE(wait_until([&] { return !redis_answers_within(redis.port(), 100ms); }, 5s));
    http_reply slow;
    std::thread caller([&] { slow = http_get(api.port(), "/health/ready"); });
    // The scrape itself is one request in flight; the slow readiness call is the other.
    REQUIRE(wait_until([&] { return requests_in_flight(api.port()) >= 2; }, 5s));
    api.process().signal(SIGTERM);
    caller.join();
    freeze.join();
    CHECK(slow.status == 503);  // answered (Redis was frozen), not dropped
    CHECK(dependency_state(slow, "redis") == "unavailable");
    CHECK(idle.closed_by_peer(5s));
    CHECK(api.process().wait_exit(10s) == 0);
  }

  SECTION("a request longer than the drain deadline does not hold the exit") {
    auto environment = service_environment(database, redis);
    environment["READINESS_CHECK_TIMEOUT_MS"] = "8000";
    environment["SHUTDOWN_DRAIN_TIMEOUT_MS"] = "300";
    service_process api(api_binary, environment, "API_PORT");
    REQUIRE(api.wait_healthy(15s));
    std::thread freeze([&] { freeze_redis(redis, 4); });
    REQUIRE(wait_until([&] { return !redis_answers_within(redis.port(), 100ms); }, 5s));
    std::thread caller([&] {
      try {
        http_get(api.port(), "/health/ready");
      } catch (const std::exception&) {
        // The connection is cut at the deadline: that is the point.
      }
    });
    REQUIRE(wait_until([&] { return requests_in_flight(api.port()) >= 2; }, 5s));
    const auto signalled = std::chrono::steady_clock::now();
    api.process().signal(SIGTERM);
    const auto status = api.process().wait_exit(3s);
    INFO(api.output());
    CHECK(status == 0);
    CHECK(std::chrono::steady_clock::now() - signalled < 3s);
    caller.join();
    freeze.join();
  }
}

TEST_CASE("API refuses bad configuration at start-up, naming the variable", "[integration][api]") {
  postgres_server database;
  redis_server redis;
  const auto base = service_environment(database, redis);

  auto start_expecting_failure = [&](std::map<std::string, std::string> changes,
                                     std::vector<std::string> unset, const std::string& variable) {
    auto environment = base;
    for (const auto& name : unset) {
      environment.erase(name);
    }
    for (auto& [name, value] : changes) {
      environment[name] = value;
    }
    temp_dir dir;
    child_process api({.argv = {built_binary(api_binary).string()},
                       .environment = environment,
                       .unset_environment = unset,
                       .output_file = dir.path() / "output.log"});
    const auto status = api.wait_exit(10s);
    INFO(api.output());
    CHECK(status == 78);
    CHECK(api.output().find(variable) != std::string::npos);
    CHECK(api.output().find("configuration error") != std::string::npos);
  };

  start_expecting_failure({}, {"JWT_SECRET_KEY"}, "JWT_SECRET_KEY");
  start_expecting_failure({{"JWT_SECRET_KEY", "too-short"}}, {}, "JWT_SECRET_KEY");
  start_expecting_failure({}, {"DATABASE_URL"}, "DATABASE_URL");
  start_expecting_failure({{"DATABASE_URL", "mysql://localhost/db"}}, {}, "DATABASE_URL");
  start_expecting_failure({{"REDIS_URL", "http://localhost"}}, {}, "REDIS_URL");
  start_expecting_failure({{"API_PORT", "eighty"}}, {}, "API_PORT");
  start_expecting_failure({{"API_PORT", "70000"}}, {}, "API_PORT");
  start_expecting_failure({{"LOG_LEVEL", "loud"}}, {}, "LOG_LEVEL");
  start_expecting_failure({{"DATABASE_POOL_MIN", "30"}, {"DATABASE_POOL_MAX", "10"}}, {},
                          "DATABASE_POOL_MIN");
  start_expecting_failure({{"WORKERS", "0"}}, {}, "WORKERS");

  SECTION("dev mode without a key starts with a loud ephemeral-key warning") {
    auto environment = base;
    environment.erase("JWT_SECRET_KEY");
    environment["GPT_ADAPTER_DEV_MODE"] = "true";
    const auto port = free_port();
    environment["API_PORT"] = std::to_string(port);
    temp_dir dir;
    child_process api({.argv = {built_binary(api_binary).string()},
                       .environment = environment,
                       .unset_environment = {"JWT_SECRET_KEY"},
                       .output_file = dir.path() / "output.log"});
    REQUIRE(wait_until(
        [&] {
          try {
            return http_get(port, "/health/ready").status == 200;
          } catch (const std::exception&) {
            return false;
          }
        },
        15s));
    CHECK(api.output().find("EPHEMERAL") != std::string::npos);
    CHECK(api.stop() == 0);
  }
}
