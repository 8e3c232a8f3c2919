#include <string>

#include <boost/beast/http/verb.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/services.hpp"

using namespace gpt_adapter::testing;
namespace bhttp = boost::beast::http;

namespace {

const std::string allowed_origin = "http://localhost:3000";
const std::string other_origin = "https://evil.example";

http_reply call_from(unsigned short port, bhttp::verb method, const std::string& target,
                     const std::string& origin) {
  http_call call{.method = method, .target = target};
  call.headers.emplace_back("Origin", origin);
  if (method == bhttp::verb::options) {
    call.headers.emplace_back("Access-Control-Request-Method", "POST");
    call.headers.emplace_back("Access-Control-Request-Headers", "authorization,content-type");
  } else {
    call.headers.emplace_back("Content-Type", "application/json");
    call.body = R"({"content":"likes tea"})";
  }
  return http_request(port, call);
}

bool has_cors_headers(const http_reply& reply) {
  for (const auto& [name, value] : reply.headers) {
    if (name.starts_with("access-control-")) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("API answers CORS for the configured origins only", "[integration][api][cors]") {
  postgres_server database;
  redis_server redis;
  auto environment = service_environment(database, redis);
  environment["CORS_ALLOWED_ORIGINS"] = "https://chat.openai.com, " + allowed_origin;
  service_process api(api_binary, environment, "API_PORT");
  REQUIRE(api.wait_healthy(std::chrono::seconds(30)));

  SECTION("a preflight from an allowed origin is answered 204 with what the route accepts") {
    const auto reply =
        call_from(api.port(), bhttp::verb::options, "/api/v1/memories", allowed_origin);
    CHECK(reply.status == 204);
    CHECK(reply.header("access-control-allow-origin") == allowed_origin);
    CHECK(reply.header("vary") == "Origin");
    // The methods the path is served with (list and create), in registration order.
    CHECK_THAT(reply.header("access-control-allow-methods"),
               Catch::Contains("GET") && Catch::Contains("POST"));
    CHECK(reply.header("access-control-allow-headers") ==
          "Authorization, Content-Type, Idempotency-Key, X-Request-ID, MCP-Protocol-Version, "
          "Mcp-Method, Mcp-Name");
    CHECK(reply.header("access-control-max-age") == "600");
    CHECK_FALSE(reply.header("x-request-id").empty());
  }

  SECTION("a 401 problem to an allowed origin is readable, with its request id exposed") {
    const auto reply = call_from(api.port(), bhttp::verb::post, "/api/v1/memories", allowed_origin);
    CHECK(reply.status == 401);
    CHECK(reply.header("content-type") == "application/problem+json");
    CHECK(reply.header("access-control-allow-origin") == allowed_origin);
    CHECK(reply.header("vary") == "Origin");
    CHECK(reply.header("access-control-expose-headers") ==
          "X-Request-ID, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate");
  }

  SECTION("another origin gets no CORS headers: neither on a preflight nor on an answer") {
    const auto preflight =
        call_from(api.port(), bhttp::verb::options, "/api/v1/memories", other_origin);
    CHECK(preflight.status == 405);
    CHECK_FALSE(has_cors_headers(preflight));
    const auto answer = call_from(api.port(), bhttp::verb::post, "/api/v1/memories", other_origin);
    CHECK(answer.status == 401);
    CHECK_FALSE(has_cors_headers(answer));
  }

  SECTION("a preflight for a path the API does not serve is a plain 404") {
    const auto reply =
        call_from(api.port(), bhttp::verb::options, "/api/v1/nothing-here", allowed_origin);
    CHECK(reply.status == 404);
    CHECK(reply.header("access-control-allow-methods").empty());
  }
}

TEST_CASE("API answers refused before routing are readable by an allowed origin",
          "[integration][api][cors]") {
  postgres_server database;
  redis_server redis;
  auto environment = service_environment(database, redis);
  environment["CORS_ALLOWED_ORIGINS"] = allowed_origin;
  environment["HTTP_BODY_LIMIT_BYTES"] = "2048";
  environment["HTTP_HEADER_LIMIT_BYTES"] = "2048";
  service_process api(api_binary, environment, "API_PORT");
  REQUIRE(api.wait_healthy(std::chrono::seconds(30)));

  const auto check_readable = [](const http_reply& reply) {
    CHECK(reply.header("content-type") == "application/problem+json");
    CHECK(reply.header("access-control-allow-origin") == allowed_origin);
    CHECK(reply.header("vary") == "Origin");
    CHECK(reply.header("access-control-expose-headers") ==
          "X-Request-ID, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate");
    CHECK_FALSE(reply.header("x-request-id").empty());
  };
  // Headers twice the limit, Origin first.
  const auto oversized_headers_from = [&](const std::string& origin) {
    http_call call{.target = "/api/v1/memories"};
    call.headers.emplace_back("Origin", origin);
    call.headers.emplace_back("X-Padding", std::string(4096, 'z'));
    return http_request(api.port(), call);
  };

  SECTION("413 for a declared body over the limit") {
    http_call call{
        .method = bhttp::verb::post, .target = "/api/v1/memories", .body = std::string(4096, 'x')};
    call.headers.emplace_back("Origin", allowed_origin);
    const auto reply = http_request(api.port(), call);
    CHECK(reply.status == 413);
    check_readable(reply);
  }

  SECTION("413 for a chunked body that outgrows the limit") {
    http_connection connection(api.port());
    const std::string chunk(3000, 'y');
    const auto reply =
        connection.raw("POST /api/v1/memories HTTP/1.1\r\nHost: x\r\nOrigin: " + allowed_origin +
                       "\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n" + chunk + "\r\n0\r\n\r\n");
    CHECK(reply.status == 413);
    check_readable(reply);
  }

  SECTION("431 for headers over the limit, with Origin before the oversized field") {
    const auto reply = oversized_headers_from(allowed_origin);
    CHECK(reply.status == 431);
    check_readable(reply);
  }

  SECTION("431 when Origin is among fields the parser had not reached") {
    // The filler field does not fit the first read, so the parser waits for the whole header
    // and never parses the Origin after it: the refusal finds it among the buffered bytes.
    http_connection connection(api.port());
    const auto reply = connection.raw(
        "GET /api/v1/memories HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(1000, 'a') +
        "\r\nOrigin: " + allowed_origin + "\r\nX-Padding: " + std::string(4096, 'z') + "\r\n\r\n");
    CHECK(reply.status == 431);
    check_readable(reply);
  }

  SECTION("400 for a request that is not HTTP/1.1") {
    http_connection connection(api.port());
    const auto reply =
        connection.raw("GARBAGE / HTTP/9.9\r\nOrigin: " + allowed_origin + "\r\n\r\n");
    CHECK(reply.status == 400);
    check_readable(reply);
  }

  SECTION("another origin's refusal stays unreadable") {
    const auto reply = oversized_headers_from(other_origin);
    CHECK(reply.status == 431);
    CHECK_FALSE(has_cors_headers(reply));
    CHECK(reply.header("vary") == "Origin");
  }
}

TEST_CASE("API without CORS_ALLOWED_ORIGINS sends no CORS headers", "[integration][api][cors]") {
  postgres_server database;
  redis_server redis;
  service_process api(api_binary, service_environment(database, redis), "API_PORT");
  REQUIRE(api.wait_healthy(std::chrono::seconds(30)));
  const auto preflight =
      call_from(api.port(), bhttp::verb::options, "/api/v1/memories", allowed_origin);
  CHECK(preflight.status == 405);
  CHECK_FALSE(has_cors_headers(preflight));
  const auto answer = call_from(api.port(), bhttp::verb::post, "/api/v1/memories", allowed_origin);
  CHECK(answer.status == 401);
  CHECK_FALSE(has_cors_headers(answer));
  CHECK(answer.header("vary").empty());
}

TEST_CASE("API refuses to start with a CORS_ALLOWED_ORIGINS entry that is not an origin",
          "[integration][api][cors]") {
  postgres_server database;
  redis_server redis;
  auto environment = service_environment(database, redis);
  environment["CORS_ALLOWED_ORIGINS"] = "https://chat.openai.com/";
  service_process api(api_binary, environment, "API_PORT");
  const auto status = api.process().wait_exit(std::chrono::seconds(30));
  REQUIRE(status.has_value());
  CHECK(*status != 0);
  CHECK_THAT(api.output(), Catch::Contains("CORS_ALLOWED_ORIGINS"));
}
