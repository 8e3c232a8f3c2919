#include <catch2/catch.hpp>

#include "common/memory_bank/client.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/tls_test_server.hpp"

namespace gpt_adapter::testing {
namespace {

using memory_bank::call_result;
using kind = call_result::kind;
namespace mb = gpt_adapter::memory_bank;

const mb::owner alice{.user_id = "alice"};
constexpr auto tls_answer = R"({"results":[{"id":"t-1","memory":"over TLS","user_id":"alice"}]})";

call_result list_over_tls(const std::string& url, std::optional<std::string> ca_file) {
  io_threads threads(1);
  metrics::registry registry;
  mb::client_settings settings;
  settings.url = url;
  settings.read_retries = 0;
  settings.transport.ca_file = std::move(ca_file);
  auto client = mb::client::create(threads.context().get_executor(), settings, registry);
  auto result =
      threads.run(client->execute(alice, mb::list_input{}, {.request_id = "tls-request"}));
  client->stop();
  return result;
}

}  // namespace

TEST_CASE("memory_bank client verifies the Memory Bank's certificate and host name",
          "[integration][memory_bank_tls]") {
  temp_dir dir("memory-bank-tls");
  const auto certificates = make_test_certificates(dir.path(), {"localhost"});
  tls_test_server server(certificates, tls_answer);
  const auto port = std::to_string(server.port());

  SECTION("trusted CA and matching host name: the call succeeds, with SNI") {
    const auto answer =
        list_over_tls("https://localhost:" + port, certificates.ca_certificate.string());
    REQUIRE(answer.outcome == kind::ok);
    CHECK(answer.result.at("memories").as_array()[0].at("content") == "over TLS");
    CHECK(server.last_server_name() == "localhost");
    CHECK(server.requests() == 1);
  }
  SECTION("a certificate for another host name is refused") {
    const auto answer =
        list_over_tls("https://127.0.0.1:" + port, certificates.ca_certificate.string());
    CHECK(answer.outcome == kind::transient);
    CHECK(answer.http_status == 0);
    CHECK(answer.error.find("TLS handshake") != std::string::npos);
    CHECK(server.requests() == 0);
  }
  SECTION("a CA outside the trust store is refused") {
    const auto answer = list_over_tls("https://localhost:" + port, std::nullopt);
    CHECK(answer.outcome == kind::transient);
    CHECK(answer.error.find("certificate") != std::string::npos);
    CHECK(server.requests() == 0);
  }
}

TEST_CASE("memory_bank client refuses to start with an unreadable CA file",
          "[integration][memory_bank_tls]") {
  io_threads threads(1);
  metrics::registry registry;
  mb::client_settings settings;
  settings.url = "https://localhost:1";
  settings.transport.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(mb::client::create(threads.context().get_executor(), settings, registry),
                  config::config_error);
}

}  // namespace gpt_adapter::testing
