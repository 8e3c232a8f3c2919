#include <set>

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

const mb::owner alice{.user_id = "alice"};
const mb::owner bob{.user_id = "bob"};
const std::string unknown_id = "0b6c2f9e-8d1a-4c55-9a43-2f3e1b7d9c10";

mb::attempt_context attempt(const std::string& request_id = "test-request-1") {
  return {.request_id = request_id,
          .enqueued_at = std::chrono::time_point_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now())};
}

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
                  const mb::attempt_context& context = attempt()) {
    return threads.run(client->execute(who, input, context));
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
  CHECK(created.result.as_array()[0].at("event") == "ADD");
  return std::string(created.result.as_array()[0].at("memory_id").as_string());
}

// As the worker reads a create job: the categories are in the metadata too.
mb::create_input note(std::string content, boost::json::object metadata = {},
                      std::vector<std::string> categories = {}) {
  if (!categories.empty()) {
    boost::json::array listed(categories.begin(), categories.end());
    metadata["categories"] = std::move(listed);
  }
  return {.content = std::move(content),
          .metadata = std::move(metadata),
          .categories = std::move(categories)};
}

const boost::json::array& page_of(const call_result& listed) {
  REQUIRE(listed.outcome == kind::ok);
  return listed.result.at("memories").as_array();
}

}  // namespace

TEST_CASE("memory_bank client runs every operation against the dev mem0-oss server",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));

  const auto created =
      tested.run(alice, note("Alice plays the piano", {{"category", "hobby"}}, {"music"}),
                 attempt("req-create-1"));
  const auto id = created_id(created);
  CHECK(created.http_status == 200);
  CHECK(created.attempts == 1);
  CHECK(created.result.as_array()[0].at("content") == "Alice plays the piano");
  CHECK(created.memory_bank_request_id.rfind("mbdev-", 0) == 0);
  tested.run(alice, note("Alice has a cat"));
  tested.run(bob, note("Bob plays the piano"));

  const auto found = tested.run(alice, mb::search_input{"piano", 10, {}});
  REQUIRE(found.outcome == kind::ok);
  REQUIRE(found.result.as_array().size() == 1);
  CHECK(found.result.as_array()[0].at("memory_id") == boost::json::value(id));
  CHECK(found.result.as_array()[0].at("relevance_score").to_number<double>() == Approx(1.0));
  // The adapter's tags are stored with the memory but never shown.
  const auto& shown = found.result.as_array()[0].at("metadata").as_object();
  CHECK(shown.at("category") == "hobby");
  CHECK(shown.at("categories") == boost::json::array{"music"});
  CHECK_FALSE(shown.contains("gpt_adapter_request_id"));
  CHECK_FALSE(shown.contains("gpt_adapter_category_music"));

  const auto first_page = tested.run(alice, mb::list_input{.page = 1, .page_size = 1});
  REQUIRE(page_of(first_page).size() == 1);
  CHECK(page_of(first_page)[0].at("memory_id") == boost::json::value(id));
  CHECK(first_page.result.at("has_more") == true);
  const auto second_page = tested.run(alice, mb::list_input{.page = 2, .page_size = 1});
  REQUIRE(page_of(second_page).size() == 1);
  CHECK(page_of(second_page)[0].at("content") == "Alice has a cat");
  CHECK(second_page.result.at("has_more") == false);
  CHECK(page_of(tested.run(alice, mb::list_input{.page = 3, .page_size = 1})).empty());

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
  // What the update did not name is kept: the categories and, unseen, the tags.
  CHECK(updated.result.at("metadata").at("categories") == boost::json::array{"music"});
  CHECK(tested.run(alice, mb::search_input{"cello", 10, {.categories = {"music"}}})
            .result.as_array()
            .size() == 1);

  const auto history = tested.run(alice, mb::history_input{id});
  REQUIRE(history.outcome == kind::ok);
  REQUIRE(history.result.as_array().size() == 2);
  CHECK(history.result.as_array()[0].at("event") == "ADD");
  CHECK(history.result.as_array()[1].at("event") == "UPDATE");
  CHECK(history.result.as_array()[1].at("old_content") == "Alice plays the piano");
  CHECK(history.result.as_array()[1].at("new_content") == "Alice plays the cello");

  const auto deleted = tested.run(alice, mb::delete_input{id});
  REQUIRE(deleted.outcome == kind::ok);
  CHECK(deleted.result.at("deleted") == true);

  // mem0-oss answers a missing memory with 200 null: not found all the same.
  const auto gone = tested.run(alice, mb::get_input{id});
  CHECK(gone.outcome == kind::not_found);
  CHECK(gone.http_status == 404);
  CHECK(tested.run(alice, mb::delete_input{id}).outcome == kind::not_found);

  // X-Request-ID went out with every call.
  const auto recent = bank.stats().at("recent").as_array();
  REQUIRE_FALSE(recent.empty());
  CHECK(recent[0].at("request_id") == "req-create-1");
  CHECK(recent[1].at("request_id") == "test-request-1");

  CHECK(tested.metric("gpt_adapter_memory_bank_requests_total",
                      {{"operation", "add"}, {"status", "200"}}) == 3);
  CHECK(tested.metric("gpt_adapter_memory_bank_requests_total",
                      {{"operation", "get"}, {"status", "200"}}) >= 5);
  CHECK(tested.metric("gpt_adapter_memory_bank_request_duration_seconds_count",
                      {{"operation", "search"}}) == 2);
  CHECK(tested.metric("gpt_adapter_memory_bank_circuit_state") == 0);
}

TEST_CASE("memory_bank client filters by category and date on mem0-oss, with limit exact",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto created_at = [&](std::string content, std::vector<std::string> categories,
                              std::chrono::hours age) {
    auto context = attempt("req-" + content);
    context.enqueued_at = now - age;
    return created_id(
        tested.run(alice, note(std::move(content), {}, std::move(categories)), context));
  };
  const auto green = created_at("tea green", {"Food & Drink"}, std::chrono::hours(24 * 40));
  const auto black = created_at("tea black", {"food & drink", "morning"}, std::chrono::hours(2));
  const auto mint = created_at("tea mint", {"garden"}, std::chrono::hours(1));
  for (int i = 0; i < 30; ++i) {
    created_at("tea note " + std::to_string(i), {}, std::chrono::hours(3));
  }

  // The server's own default is 20 results whatever the GPT asked: the limit goes as top_k.
  CHECK(tested.run(alice, mb::search_input{"tea", 25, {}}).result.as_array().size() == 25);
  CHECK(tested.run(alice, mb::search_input{"tea", 3, {}}).result.as_array().size() == 3);

  const auto ids = [](const call_result& found) {
    REQUIRE(found.outcome == kind::ok);
    std::set<std::string> listed;
    for (const auto& item : found.result.as_array()) {
      listed.emplace(item.at("memory_id").as_string());
    }
    return listed;
  };
  CHECK(ids(tested.run(alice, mb::search_input{"tea", 10, {.categories = {"FOOD & DRINK"}}})) ==
        std::set<std::string>{green, black});
  CHECK(
      ids(tested.run(alice, mb::search_input{"tea", 10, {.categories = {"morning", "garden"}}})) ==
      std::set<std::string>{black, mint});
  CHECK(ids(tested.run(alice, mb::search_input{"tea",
                                               10,
                                               {.categories = {"food & drink"},
                                                .created_after = now - std::chrono::hours(24)}})) ==
        std::set<std::string>{black});
  CHECK(
      ids(tested.run(
          alice, mb::search_input{"tea", 50, {.created_before = now - std::chrono::hours(24)}})) ==
      std::set<std::string>{green});
  CHECK(tested.run(bob, mb::search_input{"tea", 10, {.categories = {"garden"}}})
            .result.as_array()
            .empty());
}

TEST_CASE("memory_bank client pages through every memory on mem0-oss",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  for (int i = 0; i < 45; ++i) {
    REQUIRE(tested.run(alice, note("memory number " + std::to_string(i))).outcome == kind::ok);
  }
  std::vector<std::string> seen;
  bool more = true;
  for (int page = 1; more; ++page) {
    const auto listed = tested.run(alice, mb::list_input{.page = page, .page_size = 20});
    for (const auto& item : page_of(listed)) {
      seen.emplace_back(item.at("content").as_string());
    }
    more = listed.result.at("has_more").as_bool();
    CHECK(listed.result.at("capped") == false);
    REQUIRE(page <= 3);
  }
  REQUIRE(seen.size() == 45);
  CHECK(seen.front() == "memory number 0");
  CHECK(seen.back() == "memory number 44");
}

TEST_CASE("memory_bank client never reads, changes or deletes another user's memory",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  const auto id = created_id(tested.run(alice, note("Alice's secret")));

  CHECK(tested.run(bob, mb::get_input{id}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::update_input{id, "taken over", {}}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::delete_input{id}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::history_input{id}).outcome == kind::not_found);
  CHECK(tested.run(bob, mb::search_input{"secret", 10, {}}).result.as_array().empty());
  CHECK(tested.run(bob, mb::forget_input{}).outcome == kind::ok);

  CHECK(bank.calls("update") == 0);
  CHECK(bank.calls("delete") == 0);
  CHECK(bank.calls("history") == 0);
  const auto still = tested.run(alice, mb::get_input{id});
  REQUIRE(still.outcome == kind::ok);
  CHECK(still.result.at("content") == "Alice's secret");
}

TEST_CASE("memory_bank client answers ids mem0 cannot have as not found, without a call",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  // The server would answer 502 (its uuid column refuses the text) or 200 null.
  for (const std::string id : {"1", "../memories", "m-not-a-uuid"}) {
    CHECK(tested.run(alice, mb::get_input{id}).outcome == kind::not_found);
    CHECK(tested.run(alice, mb::delete_input{id}).outcome == kind::not_found);
  }
  CHECK(tested.run(alice, mb::get_input{unknown_id}).outcome == kind::not_found);
  CHECK(bank.stats().at("total") == 1);
}

TEST_CASE("memory_bank client forgets an owner in bulk, or memory by memory with a user key",
          "[integration][memory_bank_client]") {
  SECTION("with the admin key, in one call") {
    memory_bank_dev bank({"--api-key", "admin-key-0123456789"});
    auto settings = dev_settings(bank.url());
    settings.api_key = "admin-key-0123456789";
    client_under_test tested(settings);
    tested.run(alice, note("one"));
    tested.run(alice, note("two"));
    const auto kept = created_id(tested.run(bob, note("bob's")));
    const auto forgotten = tested.run(alice, mb::forget_input{});
    REQUIRE(forgotten.outcome == kind::ok);
    CHECK(forgotten.result.at("forgotten") == true);
    CHECK(bank.calls("delete_all") == 1);
    CHECK(page_of(tested.run(alice, mb::list_input{})).empty());
    CHECK(tested.run(bob, mb::get_input{kept}).outcome == kind::ok);
  }
  SECTION("with a per-user key, which may not delete in bulk (403)") {
    memory_bank_dev bank({"--api-key", "admin-key-0123456789", "--user-api-key", "user-key-42"});
    auto settings = dev_settings(bank.url());
    settings.api_key = "user-key-42";
    client_under_test tested(settings);
    for (int i = 0; i < 5; ++i) {
      tested.run(alice, note("memory " + std::to_string(i)));
    }
    const auto forgotten = tested.run(alice, mb::forget_input{});
    REQUIRE(forgotten.outcome == kind::ok);
    CHECK(forgotten.result.at("deleted") == 5);
    CHECK(bank.calls("delete") == 5);
    CHECK(page_of(tested.run(alice, mb::list_input{})).empty());
    // The refused bulk delete is the key's role, not a credentials failure.
    CHECK_FALSE(tested.client->credentials_refused());
    CHECK(tested.metric("gpt_adapter_memory_bank_auth_failures_total", {{"operation", "forget"}}) <=
          0);
  }
}

TEST_CASE("memory_bank client finds what an earlier attempt of a create stored",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  auto context = attempt("req-retried");
  const auto first = tested.run(alice, note("Alice drinks green tea"), context);
  const auto id = created_id(first);

  // The retry (after a timeout the worker saw as a failure) finds it and adds nothing.
  context.earlier_attempt_ran = true;
  const auto retried = tested.run(alice, note("Alice drinks green tea"), context);
  REQUIRE(retried.outcome == kind::ok);
  CHECK(created_id(retried) == id);
  CHECK(bank.calls("add") == 1);
  CHECK(bank.stats().at("memories") == 1);

  // A retry of a create that never landed adds it once.
  auto lost = attempt("req-lost");
  lost.earlier_attempt_ran = true;
  const auto added = tested.run(alice, note("Alice likes jazz"), lost);
  CHECK(created_id(added) != id);
  CHECK(bank.calls("add") == 2);
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
    CHECK(tested.run(alice, mb::search_input{"", 10, {}}).outcome == kind::rejected);
    CHECK(tested.run({"*"}, mb::forget_input{}).outcome == kind::rejected);
    CHECK(tested.run({"a b"}, mb::list_input{}).outcome == kind::rejected);
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
    const auto failed = tested.run(alice, mb::get_input{unknown_id});
    CHECK(failed.outcome == kind::transient);
    CHECK(failed.http_status == 500);
    CHECK(failed.attempts == 3);
  }
  SECTION("a write is never repeated by the client") {
    bank.set_faults({{"fail_next", 1}, {"fail_status", 500}});
    const auto failed = tested.run(alice, note("once"));
    CHECK(failed.outcome == kind::transient);
    CHECK(failed.attempts == 1);
    CHECK(bank.calls("add") == 1);
    CHECK(bank.stats().at("memories") == 0);
  }
  SECTION("429 is transient and carries Retry-After") {
    bank.set_faults({{"fail_next", 1}, {"fail_status", 429}});
    const auto limited = tested.run(alice, note("later"));
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
  CHECK(tested.metric("gpt_adapter_memory_bank_requests_total",
                      {{"operation", "list"}, {"status", "timeout"}}) == 1);

  bank.stop();
  const auto refused = tested.run(alice, mb::list_input{});
  CHECK(refused.outcome == kind::transient);
  CHECK(refused.error.find("cannot connect") != std::string::npos);
  CHECK(tested.metric("gpt_adapter_memory_bank_requests_total",
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
    CHECK(tested.run(alice, note("while down")).outcome == kind::transient);
  }
  CHECK(tested.client->breaker_state() == circuit_state::open);
  CHECK_FALSE(tested.threads.run(ready.probe(100ms)));
  CHECK(tested.metric("gpt_adapter_memory_bank_circuit_state") == 2);

  const auto refused = tested.run(alice, note("not sent"));
  CHECK(refused.outcome == kind::circuit_open);
  REQUIRE(refused.retry_after.has_value());
  CHECK(*refused.retry_after <= 400ms);
  CHECK(bank.calls("add") == 3);

  SECTION("a failed trial opens it again") {
    REQUIRE(wait_until([&] { return tested.client->time_until_trial() == 0ms; }, 5s));
    CHECK(tested.run(alice, note("trial")).outcome == kind::transient);
    CHECK(tested.client->breaker_state() == circuit_state::open);
    CHECK(bank.calls("add") == 4);
  }
  SECTION("a successful trial closes it") {
    bank.clear_faults();
    REQUIRE(wait_until([&] { return tested.client->time_until_trial() == 0ms; }, 5s));
    const auto trial = tested.run(alice, note("trial"));
    CHECK(trial.outcome == kind::ok);
    CHECK(tested.client->breaker_state() == circuit_state::closed);
    CHECK(tested.threads.run(ready.probe(100ms)));
    CHECK(tested.metric("gpt_adapter_memory_bank_circuit_openings_total") == 1);
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
  first.run(alice, note("a"));
  first.run(alice, note("b"));
  CHECK(second.client->breaker_state() == circuit_state::open);
  CHECK(second.run(alice, note("c")).outcome == kind::circuit_open);
}

TEST_CASE("memory_bank client reuses a kept-alive connection the server closed",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank;
  client_under_test tested(dev_settings(bank.url()));
  REQUIRE(tested.run(alice, note("first")).outcome == kind::ok);
  bank.stop();
  bank.start();
  // The pooled connection is dead; the create goes out once, on a fresh connection.
  const auto created = tested.run(alice, note("second"));
  CHECK(created.outcome == kind::ok);
  CHECK(created.attempts == 1);
  CHECK(bank.calls("add") == 1);
}

TEST_CASE("memory_bank client sends the API key as X-API-Key and never logs it",
          "[integration][memory_bank_client]") {
  memory_bank_dev bank({"--api-key", "mb-secret-key-0123"});
  auto settings = dev_settings(bank.url());
  settings.api_key = "mb-secret-key-0123";

  SECTION("X-API-Key, the default for mem0-oss") {
    client_under_test tested(settings);
    CHECK(tested.run(alice, mb::list_input{}).outcome == kind::ok);
    CHECK(bank.stats().at("recent").as_array()[0].at("authorization") == "X-API-Key");
    CHECK_FALSE(tested.client->credentials_refused());
  }
  SECTION("Bearer is read as a dashboard JWT and refused: an outage, not a success") {
    settings.scheme = mb::auth_scheme::bearer;
    settings.breaker.consecutive_failures = 2;
    client_under_test tested(settings);
    auto ready = tested.client->readiness_check();
    const auto refused = tested.run(alice, mb::list_input{});
    CHECK(refused.outcome == kind::unauthorized);
    CHECK(refused.http_status == 401);
    CHECK(tested.client->credentials_refused());
    CHECK_FALSE(tested.threads.run(ready.probe(100ms)));
    CHECK(tested.metric("gpt_adapter_memory_bank_auth_failures_total", {{"operation", "list"}}) ==
          1);
    CHECK(tested.metric("gpt_adapter_memory_bank_credentials_refused") == 1);
    tested.run(alice, mb::list_input{});
    CHECK(tested.client->breaker_state() == circuit_state::open);
  }
  SECTION("a wrong key is refused, and the key appears nowhere in the result") {
    settings.api_key = "wrong-key";
    client_under_test tested(settings);
    const auto refused = tested.run(alice, mb::list_input{});
    CHECK(refused.outcome == kind::unauthorized);
    CHECK(refused.http_status == 401);
    CHECK(refused.error.find("wrong-key") == std::string::npos);
    CHECK(tested.registry.expose().find("wrong-key") == std::string::npos);
  }
  SECTION("accepted credentials make the client ready again") {
    client_under_test tested(settings);
    auto ready = tested.client->readiness_check();
    bank.set_faults({{"fail_next", 1}, {"fail_status", 403}});
    CHECK(tested.run(alice, mb::list_input{}).outcome == kind::unauthorized);
    CHECK_FALSE(tested.threads.run(ready.probe(100ms)));
    CHECK(tested.run(alice, mb::list_input{}).outcome == kind::ok);
    CHECK(tested.threads.run(ready.probe(100ms)));
    CHECK(tested.metric("gpt_adapter_memory_bank_credentials_refused") == 0);
  }
}

}  // namespace gpt_adapter::testing
