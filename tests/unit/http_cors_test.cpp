#include <map>
#include <string>

#include <boost/beast/http/field.hpp>
#include <catch2/catch.hpp>

#include "api/api_settings.hpp"
#include "common/config/env_reader.hpp"
#include "common/http/cors.hpp"

using namespace gpt_adapter;
using http::cors_policy;
using http::verb;
namespace bhttp = boost::beast::http;

namespace {

http::request request_from(verb method, std::string origin) {
  http::request message{method, "/api/v1/memories", 11};
  if (!origin.empty()) {
    message.set(bhttp::field::origin, origin);
  }
  return message;
}

http::request preflight_from(std::string origin) {
  auto message = request_from(verb::options, std::move(origin));
  message.set(bhttp::field::access_control_request_method, "POST");
  message.set(bhttp::field::access_control_request_headers, "authorization,content-type");
  return message;
}

const cors_policy two_origins({"https://chat.openai.com", "http://localhost:3000"});

bool has_cors_headers(const http::response& answer) {
  for (const auto& header : answer) {
    if (std::string_view(header.name_string()).starts_with("Access-Control-")) {
      return true;
    }
  }
  return false;
}

std::string api_settings_error(std::string origins) {
  std::map<std::string, std::string> values{
      {"DATABASE_URL", "postgresql://app:pw@127.0.0.1:5432/gpt_adapter"},
      {"REDIS_URL", "redis://127.0.0.1:6379/0"},
      {"JWT_SECRET_KEY", std::string(32, 'k')},
      {"CORS_ALLOWED_ORIGINS", std::move(origins)}};
  try {
    api::read_api_settings(config::env_reader(config::env_source::from_map(std::move(values))));
  } catch (const config::config_error& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("cors: origins are scheme, host and optional port, nothing else", "[http][cors]") {
  CHECK(http::is_origin("https://chat.openai.com"));
  CHECK(http::is_origin("http://localhost:3000"));
  CHECK(http::is_origin("http://127.0.0.1:8080"));
  CHECK(http::is_origin("https://a-b.example.com:65535"));
  CHECK_FALSE(http::is_origin("https://chat.openai.com/"));
  CHECK_FALSE(http::is_origin("https://chat.openai.com/path"));
  CHECK_FALSE(http::is_origin("chat.openai.com"));
  CHECK_FALSE(http::is_origin("ftp://example.com"));
  CHECK_FALSE(http::is_origin("https://"));
  CHECK_FALSE(http::is_origin("https://Example.com"));
  CHECK_FALSE(http::is_origin("https://example.com:0"));
  CHECK_FALSE(http::is_origin("https://example.com:65536"));
  CHECK_FALSE(http::is_origin("https://example.com:"));
  CHECK_FALSE(http::is_origin("https://*.example.com"));
  CHECK_FALSE(http::is_origin("https://user@example.com"));
  CHECK_FALSE(http::is_origin("*"));
  CHECK_FALSE(http::is_origin("null"));
}

TEST_CASE("cors: the list parses, blank is off, a bad entry is named", "[http][cors]") {
  CHECK_FALSE(cors_policy::parse("").enabled());
  CHECK_FALSE(cors_policy::parse("  ").enabled());
  CHECK_FALSE(cors_policy().enabled());
  const auto parsed = cors_policy::parse(" https://chat.openai.com , http://localhost:3000");
  CHECK(parsed.origins() ==
        std::vector<std::string>{"https://chat.openai.com", "http://localhost:3000"});
  CHECK(parsed.allows("http://localhost:3000"));
  CHECK_FALSE(parsed.allows("http://localhost:3001"));
  CHECK_FALSE(parsed.allows("https://chat.openai.com.evil.example"));
  CHECK_THROWS_WITH(cors_policy::parse("https://ok.example,https://bad.example/"),
                    Catch::Contains("'https://bad.example/'"));
  CHECK_THROWS_AS(cors_policy::parse("https://ok.example,,https://other.example"),
                  std::invalid_argument);
}

TEST_CASE("cors: a bad CORS_ALLOWED_ORIGINS stops the API's settings naming the variable",
          "[http][cors][config]") {
  CHECK_THAT(api_settings_error("https://chat.openai.com/"),
             Catch::StartsWith("CORS_ALLOWED_ORIGINS is invalid"));
  CHECK_THAT(api_settings_error("*"), Catch::Contains("CORS_ALLOWED_ORIGINS"));
  CHECK(api_settings_error("https://chat.openai.com,http://localhost:3000") == "no error");
  CHECK(api_settings_error("") == "no error");
}

TEST_CASE("cors: a preflight from an allowed origin is answered 204 with the route's methods",
          "[http][cors]") {
  http::response answer;
  REQUIRE(two_origins.answer_preflight(preflight_from("http://localhost:3000"),
                                       {verb::get, verb::post}, answer));
  CHECK(answer.result() == bhttp::status::no_content);
  CHECK(answer[bhttp::field::access_control_allow_origin] == "http://localhost:3000");
  CHECK(answer[bhttp::field::vary] == "Origin");
  CHECK(answer[bhttp::field::access_control_allow_methods] == "GET, POST");
  CHECK(answer[bhttp::field::access_control_allow_headers] ==
        "Authorization, Content-Type, Idempotency-Key, X-Request-ID, MCP-Protocol-Version, "
        "Mcp-Method, Mcp-Name");
  CHECK(answer[bhttp::field::access_control_max_age] == "600");
  CHECK(answer.body().empty());
}

TEST_CASE("cors: no preflight answer for other origins, other methods or unknown paths",
          "[http][cors]") {
  http::response untouched;
  untouched.set("X-Marker", "kept");
  CHECK_FALSE(two_origins.answer_preflight(preflight_from("https://evil.example"), {verb::post},
                                           untouched));
  CHECK_FALSE(two_origins.answer_preflight(preflight_from(""), {verb::post}, untouched));
  CHECK_FALSE(two_origins.answer_preflight(preflight_from("http://localhost:3000"), {}, untouched));
  // OPTIONS without Access-Control-Request-Method is not a preflight.
  CHECK_FALSE(two_origins.answer_preflight(request_from(verb::options, "http://localhost:3000"),
                                           {verb::post}, untouched));
  CHECK_FALSE(cors_policy().answer_preflight(preflight_from("http://localhost:3000"), {verb::post},
                                             untouched));
  CHECK(untouched["X-Marker"] == "kept");
  CHECK_FALSE(has_cors_headers(untouched));
}

TEST_CASE("cors: answers to an allowed origin are readable, errors included, others get none",
          "[http][cors]") {
  http::response problem{bhttp::status::unauthorized, 11};
  problem.set(bhttp::field::content_type, "application/problem+json");
  two_origins.decorate("https://chat.openai.com", problem);
  CHECK(problem[bhttp::field::access_control_allow_origin] == "https://chat.openai.com");
  CHECK(problem[bhttp::field::vary] == "Origin");
  CHECK(problem[bhttp::field::access_control_expose_headers] ==
        "X-Request-ID, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate");

  http::response other{bhttp::status::accepted, 11};
  two_origins.decorate("https://evil.example", other);
  CHECK_FALSE(has_cors_headers(other));
  // The answer still varies by Origin, so that no cache serves it to an allowed origin.
  CHECK(other[bhttp::field::vary] == "Origin");

  http::response no_origin{bhttp::status::accepted, 11};
  two_origins.decorate("", no_origin);
  CHECK_FALSE(has_cors_headers(no_origin));

  http::response off{bhttp::status::accepted, 11};
  cors_policy().decorate("https://chat.openai.com", off);
  CHECK_FALSE(has_cors_headers(off));
  CHECK(off[bhttp::field::vary].empty());
}

TEST_CASE("cors: the Origin of a header refused before it was parsed is found among its raw lines",
          "[http][cors]") {
  // The request line and other fields before it are skipped; the name is case-insensitive and
  // the value trimmed.
  CHECK(http::origin_in_header_lines("POST /api/v1/memories HTTP/1.1\r\nHost: x\r\nX-Filler: "
                                     "aaa\r\norIGin:  https://chat.openai.com \r\nX-Padd") ==
        "https://chat.openai.com");
  CHECK(http::origin_in_header_lines("Origin: http://localhost:3000\r\n") ==
        "http://localhost:3000");
  // An incomplete line is not a field yet; nothing after the blank line is a header field.
  CHECK(http::origin_in_header_lines("Host: x\r\nOrigin: https://chat.openai.com").empty());
  CHECK(http::origin_in_header_lines("Host: x\r\n\r\nOrigin: https://chat.openai.com\r\n").empty());
  // Only a field named Origin counts, not one that starts with it.
  CHECK(http::origin_in_header_lines("Origin-Trial: https://chat.openai.com\r\n").empty());
  CHECK(http::origin_in_header_lines("").empty());
}
