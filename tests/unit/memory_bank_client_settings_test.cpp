#include <catch2/catch.hpp>

#include "common/http/outbound_client.hpp"
#include "common/memory_bank/client.hpp"

namespace gpt_adapter::memory_bank {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view url = "https://mem0.example.com";

// Outside dev mode, with the URL given unless the test is about it.
client_settings read(std::map<std::string, std::string> values, bool dev_mode = false) {
  values.emplace("MEMORY_BANK_API_URL", url);
  return read_client_settings(config::env_reader(config::env_source::from_map(std::move(values))),
                              dev_mode);
}

std::string refusal(std::map<std::string, std::string> values, bool dev_mode = false) {
  try {
    read_client_settings(config::env_reader(config::env_source::from_map(std::move(values))),
                         dev_mode);
  } catch (const config::config_error& refused) {
    return refused.what();
  }
  return {};
}

}  // namespace

TEST_CASE("memory_bank settings default to mem0-oss, X-API-Key and the seeds' breaker",
          "[memory_bank][settings]") {
  const auto settings = read({});
  CHECK(settings.url == url);
  CHECK(settings.shape == dialect::mem0_oss);
  CHECK(settings.api_key.empty());
  // The open-source server reads a Bearer credential as a dashboard login JWT.
  CHECK(settings.scheme == auth_scheme::x_api_key);
  CHECK(settings.transport.connect_timeout == 2000ms);
  CHECK(settings.transport.request_timeout == 10000ms);
  CHECK(settings.add_timeout == 90000ms);
  CHECK(settings.event_poll_delay == 500ms);
  CHECK(settings.event_poll_max_delay == 8000ms);
  CHECK(settings.transport.max_connections == 16);
  CHECK_FALSE(settings.transport.ca_file.has_value());
  CHECK(settings.read_retries == 2);
  CHECK(settings.breaker.consecutive_failures == 5);
  CHECK(settings.breaker.open_duration == 60000ms);
  CHECK(settings.breaker.failure_rate == Approx(0.5));
}

TEST_CASE("memory_bank settings: MEMORY_BANK_API_URL is required outside dev mode",
          "[memory_bank][settings]") {
  CHECK_THAT(refusal({}), Catch::StartsWith("MEMORY_BANK_API_URL is required"));
  CHECK(read_client_settings(config::env_reader(config::env_source::from_map({})), true).url ==
        dev_memory_bank_url);
  // The older name is not read: a configuration still using it is told what replaced it.
  CHECK_THAT(refusal({{"MEMORY_BANK_URL", "http://old.example:8000"}}),
             Catch::Contains("replaces MEMORY_BANK_URL"));
}

TEST_CASE("memory_bank settings refuse the retired openmemory dialect and say why",
          "[memory_bank][settings]") {
  const auto why = refusal(
      {{"MEMORY_BANK_API_URL", "http://localhost:8765"}, {"MEMORY_BANK_DIALECT", "openmemory"}});
  CHECK_THAT(why, Catch::StartsWith("MEMORY_BANK_DIALECT=openmemory is no longer supported") &&
                      Catch::Contains("no authentication") && Catch::Contains("mem0-oss"));
}

TEST_CASE("memory_bank settings read every MEMORY_BANK variable", "[memory_bank][settings]") {
  const auto settings = read({{"MEMORY_BANK_API_URL", "https://mem0.example.com/prefix"},
                              {"MEMORY_BANK_DIALECT", "mem0-platform"},
                              {"MEMORY_BANK_API_KEY", "m0-key"},
                              {"MEMORY_BANK_CONNECT_TIMEOUT_MS", "500"},
                              {"MEMORY_BANK_REQUEST_TIMEOUT_MS", "3000"},
                              {"MEMORY_BANK_ADD_TIMEOUT_MS", "45000"},
                              {"MEMORY_BANK_EVENT_POLL_MS", "200"},
                              {"MEMORY_BANK_EVENT_POLL_MAX_MS", "4000"},
                              {"MEMORY_BANK_MAX_CONNECTIONS", "4"},
                              {"MEMORY_BANK_CA_FILE", "/etc/private-ca.pem"},
                              {"MEMORY_BANK_READ_RETRIES", "0"},
                              {"MEMORY_BANK_READ_RETRY_DELAY_MS", "50"},
                              {"MEMORY_BANK_BREAKER_FAILURES", "3"},
                              {"MEMORY_BANK_BREAKER_FAILURE_RATE_PERCENT", "25"},
                              {"MEMORY_BANK_BREAKER_MIN_CALLS", "10"},
                              {"MEMORY_BANK_BREAKER_WINDOW_MS", "30000"},
                              {"MEMORY_BANK_BREAKER_OPEN_MS", "15000"}});
  CHECK(settings.url == "https://mem0.example.com/prefix");
  CHECK(settings.shape == dialect::mem0_platform);
  CHECK(settings.scheme == auth_scheme::token);  // the hosted platform's default
  CHECK(settings.api_key == "m0-key");
  CHECK(settings.transport.connect_timeout == 500ms);
  CHECK(settings.transport.request_timeout == 3000ms);
  CHECK(settings.add_timeout == 45000ms);
  CHECK(settings.event_poll_delay == 200ms);
  CHECK(settings.event_poll_max_delay == 4000ms);
  CHECK(settings.transport.max_connections == 4);
  CHECK(settings.transport.ca_file == "/etc/private-ca.pem");
  CHECK(settings.read_retries == 0);
  CHECK(settings.read_retry_delay == 50ms);
  CHECK(settings.breaker.consecutive_failures == 3);
  CHECK(settings.breaker.failure_rate == Approx(0.25));
  CHECK(settings.breaker.minimum_calls == 10);
  CHECK(settings.breaker.window == 30000ms);
  CHECK(settings.breaker.open_duration == 15000ms);

  CHECK(read({{"MEMORY_BANK_DIALECT", "mem0-platform"}, {"MEMORY_BANK_AUTH_SCHEME", "bearer"}})
            .scheme == auth_scheme::bearer);
  CHECK(read({{"MEMORY_BANK_AUTH_SCHEME", "bearer"}}).scheme == auth_scheme::bearer);
}

TEST_CASE("memory_bank settings name the variable that is wrong", "[memory_bank][settings]") {
  CHECK_THAT(refusal({{"MEMORY_BANK_API_URL", "ftp://host"}}),
             Catch::StartsWith("MEMORY_BANK_API_URL=") && Catch::Contains("http or https"));
  CHECK_THAT(refusal({{"MEMORY_BANK_API_URL", "http://user:pass@host"}}),
             Catch::StartsWith("MEMORY_BANK_API_URL=") && Catch::Contains("credentials"));
  CHECK_THAT(refusal({{"MEMORY_BANK_API_URL", "http://host"}, {"MEMORY_BANK_DIALECT", "mem1"}}),
             Catch::StartsWith("MEMORY_BANK_DIALECT"));
  CHECK_THAT(
      refusal({{"MEMORY_BANK_API_URL", "http://host"}, {"MEMORY_BANK_AUTH_SCHEME", "basic"}}),
      Catch::StartsWith("MEMORY_BANK_AUTH_SCHEME"));
  CHECK_THAT(
      refusal({{"MEMORY_BANK_API_URL", "http://host"}, {"MEMORY_BANK_BREAKER_FAILURES", "0"}}),
      Catch::StartsWith("MEMORY_BANK_BREAKER_FAILURES"));
  CHECK_THAT(refusal({{"MEMORY_BANK_API_URL", "ftp://host"}}),
             Catch::StartsWith("MEMORY_BANK_API_URL="));
  CHECK_THAT(refusal({{"MEMORY_BANK_API_URL", "http://host"},
                      {"MEMORY_BANK_EVENT_POLL_MS", "5000"},
                      {"MEMORY_BANK_EVENT_POLL_MAX_MS", "1000"}}),
             Catch::StartsWith("MEMORY_BANK_EVENT_POLL_MAX_MS"));
  CHECK_THAT(
      refusal({{"MEMORY_BANK_API_URL", "http://host"}, {"MEMORY_BANK_REQUEST_TIMEOUT_MS", "soon"}}),
      Catch::StartsWith("MEMORY_BANK_REQUEST_TIMEOUT_MS"));
}

TEST_CASE("memory_bank URLs are parsed into origin and base path", "[memory_bank][settings]") {
  const auto plain = http::parse_origin_url("http://127.0.0.1:8765");
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 8765);
  CHECK(plain->base_path.empty());
  CHECK(plain->origin() == "http://127.0.0.1:8765");

  const auto secure = http::parse_origin_url("HTTPS://Mem0.Example.com/api/");
  REQUIRE(secure.ok());
  CHECK(secure->tls);
  CHECK(secure->host == "mem0.example.com");
  CHECK(secure->port == 443);
  CHECK(secure->base_path == "/api");

  const auto v6 = http::parse_origin_url("http://[::1]:9000/x");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->origin() == "http://[::1]:9000");

  CHECK_FALSE(http::parse_origin_url("127.0.0.1:8765").ok());
  CHECK_FALSE(http::parse_origin_url("http://:80").ok());
  CHECK_FALSE(http::parse_origin_url("http://host:0").ok());
  CHECK_FALSE(http::parse_origin_url("http://host:65536").ok());
  CHECK_FALSE(http::parse_origin_url("http://host/path?query=1").ok());
}

}  // namespace gpt_adapter::memory_bank
