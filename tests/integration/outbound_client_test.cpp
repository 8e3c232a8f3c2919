#include "common/http/outbound_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "tests/support/io_threads.hpp"
#include "tests/support/memory_bank_dev.hpp"

namespace gpt_adapter::testing {
namespace {

using boost::beast::http::verb;

std::shared_ptr<http::outbound_client> client_for(io_threads& threads, const memory_bank_dev& bank,
                                                  http::outbound_settings settings) {
  return http::outbound_client::create(threads.context().get_executor(),
                                       http::parse_origin_url(bank.url()).value(), settings);
}

// outbound_result has no default constructor, which co_spawn needs: wrap it.
boost::asio::awaitable<std::optional<http::outbound_result>> list_memories(
    std::shared_ptr<http::outbound_client> client) {
  // A named request: GCC 12 destroys a braced temporary argument of a coroutine twice.
  http::outbound_request request{.method = verb::get, .target = "/memories?user_id=pool"};
  co_return co_await client->send(std::move(request));
}

}  // namespace

TEST_CASE("outbound client reuses one kept-alive connection for calls in a row",
          "[integration][outbound_client]") {
  memory_bank_dev bank;
  io_threads threads(2);
  auto client = client_for(threads, bank, {});
  for (int i = 0; i < 5; ++i) {
    const auto answer = *threads.run(list_memories(client));
    REQUIRE(answer.ok());
    CHECK(answer->status == 200);
    CHECK(answer->body.find("results") != std::string::npos);
  }
  CHECK(wait_until([&] { return client->idle_connections() == 1; }, 5s));
  CHECK(client->open_connections() == 1);
  client->stop();
  CHECK(wait_until([&] { return client->open_connections() == 0; }, 5s));
  const auto refused = *threads.run(list_memories(client));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == http::transport_failure::stopped);
}

TEST_CASE("outbound client never opens more connections than its bound",
          "[integration][outbound_client]") {
  memory_bank_dev bank({"--latency-ms", "200"});
  io_threads threads(2);
  auto client = client_for(threads, bank, {.max_connections = 2});
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::future<std::optional<http::outbound_result>>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(
        boost::asio::co_spawn(threads.context(), list_memories(client), boost::asio::use_future));
  }
  for (auto& call : calls) {
    const auto answer = *call.get();
    REQUIRE(answer.ok());
    CHECK(answer->status == 200);
  }
  // Six calls of 200 ms through two connections take three rounds.
  CHECK(std::chrono::steady_clock::now() - started >= 600ms);
  CHECK(wait_until([&] { return client->idle_connections() == 2; }, 5s));
  CHECK(client->open_connections() == 2);
  client->stop();
}

}  // namespace gpt_adapter::testing
