#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <poll.h>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/prometheus_text.hpp"

using namespace gpt_adapter::testing;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// A client that holds a raw TCP connection open and writes to it as slowly as it likes.
class raw_client {
 public:
  explicit raw_client(unsigned short port) : socket_(context_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  // False once the server has closed (or reset) the connection.
  bool send(const std::string& bytes) {
    boost::system::error_code error;
    asio::write(socket_, asio::buffer(bytes), error);
    return !error;
  }
  // Whether the server closes the connection within `timeout`; what it sent first is kept.
  bool closed_within(std::chrono::milliseconds timeout) {
    socket_.non_blocking(true);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char chunk[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code error;
      const auto got = socket_.read_some(asio::buffer(chunk), error);
      if (error == asio::error::would_block) {
        ::pollfd waiting{socket_.native_handle(), POLLIN, 0};
        ::poll(&waiting, 1, 20);
        continue;
      }
      if (error) {
        return true;  // EOF or reset
      }
      received_.append(chunk, got);
    }
    return false;
  }
  const std::string& received() const { return received_; }

 private:
  asio::io_context context_;
  tcp::socket socket_;
  std::string received_;
};

// Writes `bytes` one byte every `pause` until the server closes the connection; the time that
// took, or nullopt if every byte went through and the server still kept the connection.
std::optional<std::chrono::milliseconds> trickle_until_closed(raw_client& client,
                                                              const std::string& bytes,
                                                              std::chrono::milliseconds pause) {
  const auto started = std::chrono::steady_clock::now();
  for (const char byte : bytes) {
    if (!client.send(std::string(1, byte)) || client.closed_within(pause)) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
    }
  }
  return std::nullopt;
}

long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

}  // namespace

TEST_CASE(
    "API: slow and hostile clients meet the documented limits, get problem+json answers and "
    "leave nothing stuck",
    "[integration][api]") {
  memory_stack stack({{"HTTP_READ_TIMEOUT_MS", "1000"}}, false);
  const auto token = stack.token(stack.alice);
  const auto port = stack.port();

  SECTION("slowloris headers: the whole header must arrive within HTTP_READ_TIMEOUT_MS") {
    raw_client client(port);
    // 100 ms a byte: the header below would take 10 s; the server closes after about 1 s.
    const std::string header =
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(60, 'a') + "\r\n\r\n";
    const auto closed_after = trickle_until_closed(client, header, 100ms);
    REQUIRE(closed_after.has_value());
    WARN("measured: slow header closed after " << closed_after->count() << " ms");
    CHECK(*closed_after >= 900ms);
    CHECK(*closed_after < 3000ms);
    CHECK(http_get(port, "/health").status == 200);
  }

  SECTION("slowloris bodies: the whole body must arrive within HTTP_READ_TIMEOUT_MS too") {
    raw_client client(port);
    REQUIRE(client.send("POST /api/v1/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        token +
                        "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"));
    const auto closed_after = trickle_until_closed(client, std::string(100, ' '), 100ms);
    REQUIRE(closed_after.has_value());
    WARN("measured: slow body closed after " << closed_after->count() << " ms");
    CHECK(*closed_after < 3000ms);
    CHECK(http_get(port, "/health").status == 200);
  }

  SECTION("invalid UTF-8 and deeply nested JSON are 400 problems, naming no internals") {
    for (const std::string& body :
         {std::string("{\"content\":\"caf\xC3\x28\"}"), std::string("{\"content\":\"\xFF\xFE\"}"),
          std::string(100000, '[') + std::string(100000, ']'),
          std::string(40, '[') + "1" + std::string(40, ']'),
          "{\"content\":\"x\",\"metadata\":" + std::string(5000, '{')}) {
      INFO(body.substr(0, 40));
      const auto reply = stack.post("/api/v1/memories", token, body);
      check_problem(reply, 400);
    }
    // Nested, but within what a request may hold: accepted, not refused as JSON.
    const auto nested =
        stack.post("/api/v1/memories", token, R"({"content":"x","metadata":{"a":{"b":1}}})");
    INFO(nested.body);
    CHECK(nested.status == 202);
  }

  SECTION("oversized headers and bodies are 431 and 413 problems") {
    http_connection big_header(port);
    check_problem(big_header.raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                 std::string(20000, 'h') + "\r\n\r\n"),
                  431);
    http_connection big_body(port);
    check_problem(big_body.raw("POST /api/v1/memories HTTP/1.1\r\nHost: x\r\nAuthorization: "
                               "Bearer " +
                               token + "\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(2 * 1024 * 1024) + "\r\n\r\n{"),
                  413);
  }

  SECTION("many idle connections are closed after HTTP_READ_TIMEOUT_MS, memory comes back") {
    // Long enough that all of them are open at once even on a busy machine.
    stack.start_api({{"HTTP_READ_TIMEOUT_MS", "8000"}});
    const auto api_port = stack.port();
    const auto pid = stack.api->process().pid();
    const auto before = resident_kib(pid);
    const auto open_connections = [&] {
      return parse_prometheus_text(http_get(api_port, "/metrics").body)
          .value("gpt_adapter_http_connections_open", {})
          .value_or(0);
    };
    std::vector<std::unique_ptr<raw_client>> idle;
    for (int i = 0; i < 500; ++i) {
      idle.push_back(std::make_unique<raw_client>(api_port));
    }
    REQUIRE(wait_until([&] { return open_connections() >= 500; }, 8s, 50ms));
    // Served meanwhile, promptly (well before the idle ones time out): no I/O thread is held by
    // the idle connections.
    const auto asked = std::chrono::steady_clock::now();
    CHECK(http_get(api_port, "/health").status == 200);
    CHECK(std::chrono::steady_clock::now() - asked < 2s);
    std::size_t closed = 0;
    for (auto& client : idle) {
      closed += client->closed_within(15s) ? 1 : 0;
    }
    CHECK(closed == idle.size());
    REQUIRE(wait_until([&] { return open_connections() <= 1; }, 10s, 50ms));
    const auto after = resident_kib(pid);
    WARN("measured: VmRSS before " << before << " KiB, after 500 idle connections came and went "
                                   << after << " KiB");
    CHECK(after - before < 64 * 1024);
  }
}
