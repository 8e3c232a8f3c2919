#include <string>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/logging/logger.hpp"

namespace logging = gpt_adapter::logging;

namespace {

constexpr const char* secret_value = "s3cr3t-VALUE-that-must-not-leak";

// Every credential-like field carries the secret; the ordinary fields carry identifiers.
std::string render(bool json) {
  const logging::fields fields = {
      {"authorization", secret_value}, {"Authorization", secret_value},
      {"client_secret", secret_value}, {"password", secret_value},
      {"access_token", secret_value},  {"refresh_token", secret_value},
      {"api_key", secret_value},       {"request_id", "req-123"},
      {"app_id", "app-456"},           {"attempt", 3},
  };
  return json ? logging::render_json_line("2024-05-01T12:00:00.000Z", "info", "gpt-adapter-api",
                                          "production", "request handled", fields)
              : logging::render_text_line("2024-05-01T12:00:00.000Z", "info", "gpt-adapter-api",
                                          "request handled", fields);
}

}  // namespace

TEST_CASE("render_json_line writes one JSON object with the standard keys and fields",
          "[logging]") {
  const auto line = logging::render_json_line(
      "2024-05-01T12:00:00.000Z", "info", "gpt-adapter-api", "staging", "request \"handled\"\n",
      {{"request_id", "req-1"}, {"status", 200}, {"cached", true}});
  CHECK(line.find('\n') == std::string::npos);
  const auto parsed = boost::json::parse(line).as_object();
  CHECK(parsed.at("timestamp") == "2024-05-01T12:00:00.000Z");
  CHECK(parsed.at("level") == "info");
  CHECK(parsed.at("service") == "gpt-adapter-api");
  CHECK(parsed.at("environment") == "staging");
  CHECK(parsed.at("message") == "request \"handled\"\n");
  CHECK(parsed.at("request_id") == "req-1");
  CHECK(parsed.at("status") == 200);
  CHECK(parsed.at("cached") == true);
  CHECK(parsed.size() == 8);
}

TEST_CASE("render_json_line leaves an empty environment out", "[logging]") {
  const auto line = logging::render_json_line("t", "info", "gpt-adapter-admin", "", "m", {});
  CHECK_FALSE(boost::json::parse(line).as_object().contains("environment"));
}

TEST_CASE("render_json_line reports warnings as warn", "[logging]") {
  const auto line = logging::render_json_line("t", "warning", "svc", "", "m", {});
  CHECK(boost::json::parse(line).as_object().at("level") == "warn");
}

TEST_CASE("render_json_line redacts credentials and keeps identifiers", "[logging]") {
  const auto line = render(true);
  CHECK(line.find(secret_value) == std::string::npos);
  const auto parsed = boost::json::parse(line).as_object();
  for (const auto* name : {"authorization", "Authorization", "client_secret", "password",
                           "access_token", "refresh_token", "api_key"}) {
    INFO(name);
    REQUIRE(parsed.contains(name));
    CHECK(parsed.at(name) == "[REDACTED]");
  }
  CHECK(parsed.at("request_id") == "req-123");
  CHECK(parsed.at("app_id") == "app-456");
  CHECK(parsed.at("attempt") == 3);
}

TEST_CASE("render_text_line redacts credentials and keeps identifiers", "[logging]") {
  const auto line = render(false);
  CHECK(line.find(secret_value) == std::string::npos);
  CHECK(line.starts_with("2024-05-01T12:00:00.000Z info [gpt-adapter-api] request handled"));
  for (const auto* name : {"authorization", "Authorization", "client_secret", "password",
                           "access_token", "refresh_token", "api_key"}) {
    INFO(name);
    CHECK(line.find(std::string(" ") + name + "=[REDACTED]") != std::string::npos);
  }
  CHECK(line.find(" request_id=req-123") != std::string::npos);
  CHECK(line.find(" app_id=app-456") != std::string::npos);
  CHECK(line.find(" attempt=3") != std::string::npos);
}

TEST_CASE("credential-like field names are sensitive in any case", "[logging]") {
  for (const auto* name : {"authorization", "Authorization", "client_secret", "password",
                           "DB_PASSWORD", "access_token", "refresh_token", "api_key", "apikey",
                           "cookie", "Set-Cookie", "credentials"}) {
    INFO(name);
    CHECK(logging::is_sensitive_field(name));
  }
  for (const auto* name : {"request_id", "app_id", "job_id", "status", "duration_ms", "model"}) {
    INFO(name);
    CHECK_FALSE(logging::is_sensitive_field(name));
  }
}

TEST_CASE("hyphenated credential names are redacted too", "[logging]") {
  CHECK(logging::is_sensitive_field("X-Api-Key"));
  CHECK(logging::is_sensitive_field("x-auth-token"));
}

TEST_CASE("fields cannot replace the standard keys", "[logging]") {
  const auto line = logging::render_json_line(
      "2026-01-01T00:00:00.000Z", "info", "svc", "prod", "real",
      {{"message", "forged"}, {"level", "critical"}, {"environment", "forged"}});
  const auto parsed = boost::json::parse(line).as_object();
  CHECK(parsed.at("message") == "real");
  CHECK(parsed.at("level") == "info");
  CHECK(parsed.at("field_message") == "forged");
  CHECK(parsed.at("field_level") == "critical");
  CHECK(parsed.at("environment") == "prod");
  CHECK(parsed.at("field_environment") == "forged");
}
