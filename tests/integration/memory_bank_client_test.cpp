#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "common/memory_bank/client.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/memory_bank_dev.hpp"
#include "tests/support/prometheus_text.hpp"

namespace gpt_adapter::testing {
namespace {

using memory_bank::call_result;
using memory_bank::circuit_state;
using kind = call_result::kind;
namespace mb = gpt_adapter::memory_bank;

double prometheus_value(const std::string& text, const std::string& name,
                        const std::map<std::string, std::string>& labels) {
  return parse_prometheus_text(text).value(name, labels).value_or(-1.0);
}

const mb::owner alice{.user_id = "alice", .app = "demo-gpt"};
const mb::owner bob{.user_id = "bob", .app = "demo-gpt"};

mb::client_settings dev_settings(const std::string& url) {
  mb::client_settings settings;
  settings.url = url;
  settings.shape = mb::dialect::mem0_oss;
  settings.read_retry_delay = 20ms;
  settings.transport.request_timeout = 5s;
  return settings;
}

// A client on its own io_context threads; the client goes first when the test ends.
struct client_under_test {
  explicit client_under_test(mb::client_settings settings)
      : client(
            mb::client::create(threads.context().get_executor(), std::move(settings), registry)) {}
  ~client_under_test() { client->stop(); }

  call_result run(const mb::owner& who, const mb::operation_input& input,
                  const std::string& request_id = "test-request-1") {
    return threads.run(client->execute(who, input, request_id));
  }

  double metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    return prometheus_value(registry.expose(), name, labels);
  }

  io_threads threads{2};
  metrics::registry registry;
  std::shared_ptr<mb::client> client;
};

std::string created_id(const call_result& created) {
  REQUIRE(created.outcome == kind::ok);
  REQUIRE(created.result.is_array());
  REQUIRE(created.result.as_array().size() == 1);
  return std::string(created.result.as_array()[0].at("memory_id").as_string());
}

}  // namespace

TEST_CASE("memory_bank client runs every operation against the dev Memory Bank",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));

  const auto created = tested.run(
      alice, mb::create_input{"Alice plays the piano", {{"category", "hobby"}}}, "req-create-1");
  const auto id = created_id(created);
  CHECK(created.http_status == 200);
  CHECK(created.attempts == 1);
  CHECK(created.result.as_array()[0].at("content") == "Alice plays the piano");
  CHECK(created.result.as_array()[0].at("metadata").at("category") == "hobby");
  CHECK(created.memory_bank_request_id.rfind("mbdev-", 0) == 0);
  tested.run(alice, mb::create_input{"Alice has a cat", {}});
  tested.run(bob, mb::create_input{"Bob plays the piano", {}});

  const auto found = tested.run(alice, mb::search_input{"piano", 10, {}});
  REQUIRE(found.outcome == kind::ok);
  REQUIRE(found.result.as_array().size() == 1);
  CHECK(found.result.as_array()[0].at("memory_id") == boost::json::value(id));
  CHECK(found.result.as_array()[0].at("relevance_score").to_number<double>() == Approx(1.0));

  const auto listed = tested.run(alice, mb::list_input{.page = 1, .page_size = 1});
  REQUIRE(listed.outcome == kind::ok);
  REQUIRE(listed.result.as_array().size() == 1);
  CHECK(listed.result.as_array()[0].at("memory_id") == boost::json::value(id));
  const auto second_page = tested.run(alice, mb::list_input{.page = 2, .page_size = 1});
  REQUIRE(second_page.result.as_array().size() == 1);
  CHECK(second_page.result.as_array()[0].at("content") == "Alice has a cat");
  CHECK(tested.run(alice, mb::list_input{.page = 3, .page_size = 1}).result.as_array().empty());

  const auto got = tested.run(alice, mb::get_input{id});
  REQUIRE(got.outcome == kind::ok);
  CHECK(got.result.at("content") == "Alice plays the piano");
  CHECK(got.result.as_object().contains("created_at"));
  CHECK_FALSE(got.result.as_object().contains("user_id"));

  const auto updated =
      tested.run(alice, mb::update_input{id, "Alice plays the cello", {{"category", "music"}}});
  REQUIRE(updated.outcome == kind::ok);
  CHECK(updated.result.at("content") == "Alice plays the cello");
  CHECK(updated.result.at("metadata").at("category") == "music");
  CHECK(updated.attempts == 3);  // owner check, PUT, read back (mem0-oss answers with a message)

  const auto deleted = tested.run(alice, mb::delete_input{id});
  REQUIRE(deleted.outcome == kind::ok);
  CHECK(deleted.result == boost::json::value(boost::json::object{{"deleted", true}}));

  const auto gone = tested.run(alice, mb::get_input{id});
  CHECK(gone.outcome == kind::not_found);
  CHECK(gone.http_status == 404);
  CHECK(tested.run(alice, mb::delete_input{id}).outcome == kind::not_found);

  // X-Request-ID went out with every call.
  const auto recent = bank.stats().at("recent").as_array();
  REQUIRE_FALSE(recent.empty());
  CHECK(recent[0].at("request_id") == "req-create-1");
  CHECK(recent[1].at("request_id") == "test-request-1");

  CHECK(tested.metric("memory_bank_requests_total", {{"operation", "create"}, {"status", "200"}}) ==
        3);
  CHECK(tested.metric("memory_bank_requests_total", {{"operation", "get"}, {"status", "404"}}) ==
        2);
  CHECK(tested.metric("memory_bank_request_duration_seconds_count", {{"operation", "search"}}) ==
        1);
  CHECK(tested.metric("memory_bank_circuit_state") == 0);
}

TEST_CASE("memory_bank client never reads, changes or deletes another user's memory",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  const auto id = created_id(tested.run(alice, mb::create_input{"Alice's secret", {}}));

  CHECK(tested.run(bob, mb::get_input{id}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::update_input{id, "taken over", {}}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::delete_input{id}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::search_input{"secret", 10, {}}).result.as_array().empty());

  CHECK(bank.calls("update") == 0);
  CHECK(bank.calls("delete") == 0);
  const auto still = tested.run(alice, mb::get_input{id});
  REQUIRE(still.outcome == kind::ok);
  CHECK(still.result.at("content") == "Alice's secret");
}

TEST_CASE("memory_bank client classifies answers and retries only reads",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));

  SECTION("a 4xx is rejected without a retry") {
    bank.set_faults({{"fail_next", 1}, {"fail_status", 400}});
    const auto refused = tested.run(alice, mb::search_input{"x", 10, {}});
    CHECK(refused.outcome == kind::rejected);
    CHECK(refused.http_status == 400);
    CHECK(refused.attempts == 1);
    CHECK(refused.error.find("Injected failure") != std::string::npos);
    CHECK(bank.calls("search") == 1);
  }
  SECTION("input that cannot be sent is rejected before any call") {
    const auto refused = tested.run(alice, mb::search_input{"", 10, {}});
    CHECK(refused.outcome == kind::rejected);
    CHECK(refused.http_status == 0);
    CHECK(bank.stats().at("total") == 0);
  }
  SECTION("a read is retried after 5xx answers and succeeds") {
    bank.set_faults({{"fail_next", 2}, {"fail_status", 503}});
    // 503 carries Retry-After: 1 s, longer than the in-client backoff: the caller decides.
    const auto unavailable = tested.run(alice, mb::list_input{});
    CHECK(unavailable.outcome == kind::transient);
    CHECK(unavailable.retry_after == std::chrono::milliseconds(1000));
    CHECK(unavailable.attempts == 1);

    bank.set_faults({{"fail_next", 2}, {"fail_status", 502}});
    const auto recovered = tested.run(alice, mb::list_input{});
    CHECK(recovered.outcome == kind::ok);
    CHECK(recovered.attempts == 3);
    CHECK(bank.calls("list") == 4);
  }
  SECTION("reads give up after the configured retries") {
    bank.set_faults({{"fail_next", 5}, {"fail_status", 500}});
    const auto failed = tested.run(alice, mb::get_input{"some-id"});
    CHECK(failed.outcome == kind::transient);
    CHECK(failed.http_status == 500);
    CHECK(failed.attempts == 3);
  }
  SECTION("a write is never repeated by the client") {
    bank.set_faults({{"fail_next", 1}, {"fail_status", 500}});
    const auto failed = tested.run(alice, mb::create_input{"once", {}});
    CHECK(failed.outcome == kind::transient);
    CHECK(failed.attempts == 1);
    CHECK(bank.calls("add") == 1);
    CHECK(bank.stats().at("memories") == 0);
  }
  SECTION("429 is transient and carries Retry-After") {
    bank.set_faults({{"fail_next", 1}, {"fail_status", 429}});
    const auto limited = tested.run(alice, mb::create_input{"later", {}});
    CHECK(limited.outcome == kind::transient);
    CHECK(limited.http_status == 429);
    CHECK(limited.retry_after == std::chrono::milliseconds(1000));
  }
}

TEST_CASE("memory_bank client times out slow answers and reports refused connections",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank({"--latency-ms", "1500"});
  auto settings = dev_settings(bank.url());
  settings.transport.request_timeout = 200ms;
  settings.read_retries = 0;
  client_under_test tested(settings);

  const auto started = std::chrono::steady_clock::now();
  const auto slow = tested.run(alice, mb::list_input{});
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(slow.outcome == kind::transient);
  CHECK(slow.http_status == 0);
  CHECK(took < 1000ms);
  CHECK(tested.metric("memory_bank_requests_total",
                      {{"operation", "list"}, {"status", "timeout"}}) == 1);

  bank.stop();
  const auto refused = tested.run(alice, mb::list_input{});
  CHECK(refused.outcome == kind::transient);
  CHECK(refused.error.find("cannot connect") != std::string::npos);
  CHECK(tested.metric("memory_bank_requests_total",
                      {{"operation", "list"}, {"status", "connect"}}) == 1);
}

TEST_CASE("memory_bank client breaker goes closed, open, half-open and closed again",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  auto settings = dev_settings(bank.url());
  settings.breaker.consecutive_failures = 3;
  settings.breaker.open_duration = 400ms;
  client_under_test tested(settings);
  auto ready = tested.client->readiness_check();

  bank.set_faults({{"down", true}});
  for (int i = 0; i < 3; ++i) {
    CHECK(tested.run(alice, mb::create_input{"while down", {}}).outcome == kind::transient);
  }
  CHECK(tested.client->breaker_state() == circuit_state::open);
  CHECK_FALSE(tested.threads.run(ready.probe(100ms)));
  CHECK(tested.metric("memory_bank_circuit_state") == 2);

  const auto refused = tested.run(alice, mb::create_input{"not sent", {}});
  CHECK(refused.outcome == kind::circuit_open);
  REQUIRE(refused.retry_after.has_value());
  CHECK(*refused.retry_after <= 400ms);
  CHECK(bank.calls("add") == 3);

  SECTION("a failed trial opens it again") {
    REQUIRE(wait_until([&] { return tested.client->time_until_trial() == 0ms; }, 5s));
    CHECK(tested.run(alice, mb::create_input{"trial", {}}).outcome == kind::transient);
    CHECK(tested.client->breaker_state() == circuit_state::open);
    CHECK(bank.calls("add") == 4);
  }
  SECTION("a successful trial closes it") {
    bank.clear_faults();
    REQUIRE(wait_until([&] { return tested.client->time_until_trial() == 0ms; }, 5s));
    const auto trial = tested.run(alice, mb::create_input{"trial", {}});
    CHECK(trial.outcome == kind::ok);
    CHECK(tested.client->breaker_state() == circuit_state::closed);
    CHECK(tested.threads.run(ready.probe(100ms)));
    CHECK(tested.metric("memory_bank_circuit_openings") == 1);
  }
}

TEST_CASE("memory_bank clients of one host share the breaker",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  auto settings = dev_settings(bank.url());
  settings.breaker.consecutive_failures = 2;
  client_under_test first(settings);
  client_under_test second(settings);
  bank.set_faults({{"down", true}});
  first.run(alice, mb::create_input{"a", {}});
  first.run(alice, mb::create_input{"b", {}});
  CHECK(second.client->breaker_state() == circuit_state::open);
  CHECK(second.run(alice, mb::create_input{"c", {}}).outcome == kind::circuit_open);
}

TEST_CASE("memory_bank client reuses a kept-alive connection the server closed",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  REQUIRE(tested.run(alice, mb::create_input{"first", {}}).outcome == kind::ok);
  bank.stop();
  bank.start();
  // The pooled connection is dead; the create goes out once, on a fresh connection.
  const auto created = tested.run(alice, mb::create_input{"second", {}});
  CHECK(created.outcome == kind::ok);
  CHECK(created.attempts == 1);
  CHECK(bank.calls("add") == 1);
}

TEST_CASE("memory_bank client sends the API key as configured and never logs it",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank({"--api-key", "mb-secret-key"});
  auto settings = dev_settings(bank.url());

  SECTION("Bearer") {
    settings.api_key = "mb-secret-key";
    client_under_test tested(settings);
    CHECK(tested.run(alice, mb::list_input{}).outcome == kind::ok);
    CHECK(bank.stats().at("recent").as_array()[0].at("authorization") == "Bearer");
  }
  SECTION("X-API-Key") {
    settings.api_key = "mb-secret-key";
    settings.scheme = mb::auth_scheme::x_api_key;
    client_under_test tested(settings);
    CHECK(tested.run(alice, mb::list_input{}).outcome == kind::ok);
    CHECK(bank.stats().at("recent").as_array()[0].at("authorization") == "X-API-Key");
  }
  SECTION("a wrong key is rejected, and the key appears nowhere in the result") {
    settings.api_key = "wrong-key";
    client_under_test tested(settings);
    const auto refused = tested.run(alice, mb::list_input{});
    CHECK(refused.outcome == kind::rejected);
    CHECK(refused.http_status == 401);
    CHECK(refused.error.find("wrong-key") == std::string::npos);
    CHECK(tested.registry.expose().find("wrong-key") == std::string::npos);
  }
}

}  // namespace gpt_adapter::testing
