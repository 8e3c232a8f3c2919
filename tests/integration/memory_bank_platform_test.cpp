#include <set>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "common/memory_bank/client.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/memory_bank_dev.hpp"
#include "tests/support/process.hpp"

// The client against the mem0 Platform's contract: the dev Memory Bank in its mem0-platform
// mode (asynchronous add with events, v3 filters, Token auth), and a fake server for answers the
// dev server does not give.
namespace gpt_adapter::testing {
namespace {

using boost::beast::http::verb;
using memory_bank::call_result;
using kind = call_result::kind;
namespace mb = gpt_adapter::memory_bank;

const mb::owner alice{.user_id = "alice"};
const mb::owner bob{.user_id = "bob"};
constexpr std::string_view platform_key = "m0-platform-key";

mb::attempt_context attempt(const std::string& request_id) {
  return {.request_id = request_id,
          .enqueued_at = std::chrono::time_point_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now())};
}

struct platform_client {
  explicit platform_client(const std::string& url, std::string key = std::string(platform_key)) {
    mb::client_settings settings;
    settings.url = url;
    settings.shape = mb::dialect::mem0_platform;
    settings.scheme = mb::auth_scheme::token;
    settings.api_key = std::move(key);
    settings.read_retries = 0;
    client = mb::client::create(threads.context().get_executor(), settings, registry);
  }
  ~platform_client() { client->stop(); }

  call_result run(const mb::owner& who, const mb::operation_input& input,
                  const mb::attempt_context& context) {
    return threads.run(client->execute(who, input, context));
  }

  // Runs the operation, then polls its event as the worker does until the Platform is done.
  call_result run_to_end(const mb::owner& who, const mb::operation_input& input,
                         const std::string& request_id) {
    auto context = attempt(request_id);
    auto result = run(who, input, context);
    if (result.outcome != kind::in_progress) {
      return result;
    }
    REQUIRE(result.event_id.has_value());
    context.event_id = result.event_id;
    REQUIRE(wait_until(
        [&] {
          result = run(who, input, context);
          return result.outcome != kind::in_progress;
        },
        10s));
    return result;
  }

  io_threads threads{1};
  metrics::registry registry;
  std::shared_ptr<mb::client> client;
};

// As the worker reads a create job: the categories are in the metadata too.
mb::create_input note(std::string content, std::vector<std::string> categories = {}) {
  boost::json::object metadata;
  if (!categories.empty()) {
    metadata["categories"] = boost::json::array(categories.begin(), categories.end());
  }
  return {.content = std::move(content),
          .metadata = std::move(metadata),
          .categories = std::move(categories)};
}

const boost::json::object& only_change(const call_result& created) {
  REQUIRE(created.outcome == kind::ok);
  REQUIRE(created.result.as_array().size() == 1);
  return created.result.as_array()[0].as_object();
}

}  // namespace

TEST_CASE("memory_bank mem0-platform: an add is an event the client polls until it is done",
          "[integration][memory_bank_platform]") {
  memory_bank_dev bank({"--dialect", "mem0-platform", "--api-key", std::string(platform_key),
                        "--processing-delay-ms", "200"});
  platform_client tested(bank.url());

  const auto queued = tested.run(alice, note("Alice prefers coffee"), attempt("req-1"));
  REQUIRE(queued.outcome == kind::in_progress);
  REQUIRE(queued.event_id.has_value());
  // Nothing is stored before the Platform has processed the event.
  CHECK(bank.stats().at("memories") == 0);

  auto context = attempt("req-1");
  context.event_id = queued.event_id;
  call_result done;
  REQUIRE(wait_until(
      [&] {
        done = tested.run(alice, note("Alice prefers coffee"), context);
        return done.outcome != kind::in_progress;
      },
      10s));
  const auto& added = only_change(done);
  CHECK(added.at("event") == "ADD");
  CHECK(added.at("content") == "Alice prefers coffee");
  CHECK(bank.calls("event") >= 1);

  // The Platform may change what it has instead of adding: the GPT learns which.
  const auto updated = tested.run_to_end(alice, note("Alice prefers green tea"), "req-2");
  const auto& change = only_change(updated);
  CHECK(change.at("event") == "UPDATE");
  CHECK(change.at("memory_id") == added.at("memory_id"));
  CHECK(change.at("previous_content") == "Alice prefers coffee");
  CHECK(
      only_change(tested.run_to_end(alice, note("Alice prefers green tea"), "req-3")).at("event") ==
      "NONE");

  // infer false stores verbatim and at once.
  const auto verbatim = tested.run(
      alice, mb::create_input{.content = "Locker code is 4711", .infer = false}, attempt("req-4"));
  CHECK(only_change(verbatim).at("event") == "ADD");
  CHECK(only_change(verbatim).at("content") == "Locker code is 4711");

  const auto stats = bank.stats();
  for (const auto& call : stats.at("recent").as_array()) {
    CHECK(call.at("authorization") == "Token");
  }
}

TEST_CASE("memory_bank mem0-platform: search, list, get, update, history, delete and forget",
          "[integration][memory_bank_platform]") {
  memory_bank_dev bank({"--dialect", "mem0-platform", "--api-key", std::string(platform_key),
                        "--processing-delay-ms", "20"});
  platform_client tested(bank.url());

  std::set<std::string> mine;
  for (int i = 0; i < 7; ++i) {
    const auto created = tested.run_to_end(
        alice,
        note("walk-" + std::to_string(i) + " by the river", {i % 2 == 0 ? "Outdoors" : "health"}),
        "req-walk-" + std::to_string(i));
    mine.emplace(only_change(created).at("memory_id").as_string());
  }
  tested.run_to_end(bob, note("walk of bob", {"Outdoors"}), "req-bob");

  const auto outdoors = tested.run(
      alice, mb::search_input{"walk", 10, {.categories = {"outdoors"}}}, attempt("req-s1"));
  REQUIRE(outdoors.outcome == kind::ok);
  CHECK(outdoors.result.as_array().size() == 4);
  const auto limited = tested.run(alice, mb::search_input{"walk", 3, {}}, attempt("req-s2"));
  CHECK(limited.result.as_array().size() == 3);
  const auto past = tested.run(
      alice,
      mb::search_input{"walk",
                       10,
                       {.created_before = std::chrono::time_point_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now() - std::chrono::hours(1))}},
      attempt("req-s3"));
  REQUIRE(past.outcome == kind::ok);
  CHECK(past.result.as_array().empty());

  std::set<std::string> listed;
  bool more = true;
  for (int page = 1; more; ++page) {
    const auto answer =
        tested.run(alice, mb::list_input{.page = page, .page_size = 3}, attempt("req-list"));
    REQUIRE(answer.outcome == kind::ok);
    for (const auto& item : answer.result.at("memories").as_array()) {
      listed.emplace(item.at("memory_id").as_string());
    }
    more = answer.result.at("has_more").as_bool();
    REQUIRE(page <= 3);
  }
  CHECK(listed == mine);

  const auto id = *mine.begin();
  CHECK(tested.run(alice, mb::get_input{id}, attempt("req-g")).outcome == kind::ok);
  CHECK(tested.run(bob, mb::get_input{id}, attempt("req-g")).outcome == kind::not_found);
  const auto changed =
      tested.run(alice, mb::update_input{id, "walk changed", {{"mood", "good"}}}, attempt("req-u"));
  REQUIRE(changed.outcome == kind::ok);
  CHECK(changed.result.at("content") == "walk changed");
  // The Platform replaces metadata; the client sends it merged, so the categories stay.
  CHECK(changed.result.at("metadata").at("mood") == "good");
  CHECK(changed.result.at("metadata").as_object().contains("categories"));
  CHECK(tested
            .run(alice, mb::search_input{"changed", 10, {.categories = {"outdoors", "health"}}},
                 attempt("req-s4"))
            .result.as_array()
            .size() == 1);
  const auto history = tested.run(alice, mb::history_input{id}, attempt("req-h"));
  REQUIRE(history.outcome == kind::ok);
  CHECK(history.result.as_array().size() == 2);
  CHECK(tested.run(alice, mb::delete_input{id}, attempt("req-d")).outcome == kind::ok);
  CHECK(tested.run(alice, mb::get_input{id}, attempt("req-g2")).outcome == kind::not_found);

  // Delete-all runs in the background: the client waits until nothing of the owner is left.
  const auto forgotten = tested.run_to_end(alice, mb::forget_input{}, "req-forget");
  REQUIRE(forgotten.outcome == kind::ok);
  CHECK(tested.run(alice, mb::list_input{}, attempt("req-l2"))
            .result.at("memories")
            .as_array()
            .empty());
  CHECK(tested.run(bob, mb::list_input{}, attempt("req-l3"))
            .result.at("memories")
            .as_array()
            .size() == 1);
  const auto stats = bank.stats();
  for (const auto& call : stats.at("recent").as_array()) {
    if (call.at("operation") == "delete_all") {
      CHECK(call.at("target") == "/v1/memories/?user_id=alice");
    }
  }
}

TEST_CASE("memory_bank mem0-platform: a retried create finds what the first attempt stored",
          "[integration][memory_bank_platform]") {
  memory_bank_dev bank({"--dialect", "mem0-platform", "--api-key", std::string(platform_key),
                        "--processing-delay-ms", "20"});
  platform_client tested(bank.url());
  const auto first = tested.run_to_end(alice, note("Alice rides a red bike"), "req-bike");
  const auto id = only_change(first).at("memory_id");
  auto retry = attempt("req-bike");
  retry.earlier_attempt_ran = true;
  const auto again = tested.run(alice, note("Alice rides a red bike"), retry);
  CHECK(only_change(again).at("memory_id") == id);
  CHECK(bank.calls("add") == 1);
}

TEST_CASE("memory_bank mem0-platform: a wrong key is a credentials failure",
          "[integration][memory_bank_platform]") {
  memory_bank_dev bank({"--dialect", "mem0-platform", "--api-key", std::string(platform_key)});
  platform_client tested(bank.url(), "not-the-key");
  const auto refused = tested.run(alice, mb::list_input{}, attempt("req-x"));
  CHECK(refused.outcome == kind::unauthorized);
  CHECK(refused.http_status == 401);
  CHECK(tested.client->credentials_refused());
}

TEST_CASE("memory_bank client answers another user's memory from the Platform as not found",
          "[integration][memory_bank_platform]") {
  fake_http_server fake;
  const std::string foreign = "9f6e7b5b-4f7b-4b2f-9f6e-7b5b4f5a1234";
  fake.on(verb::get, "/v1/memories/{id}/", [](const recorded_request&) {
    return canned_response{.body =
                               boost::json::object{{"id", "9f6e7b5b-4f7b-4b2f-9f6e-7b5b4f5a1234"},
                                                   {"memory", "Mallory's"},
                                                   {"user_id", "mallory"}}};
  });
  fake.on(verb::post, "/v3/memories/search/", [](const recorded_request&) {
    return canned_response{
        .body = boost::json::object{
            {"results",
             boost::json::array{
                 boost::json::object{{"id", "p-9"},
                                     {"memory", "Mallory's"},
                                     {"user_id", "mallory"},
                                     {"score", 0.9}},
                 boost::json::object{
                     {"id", "p-1"}, {"memory", "Alice's"}, {"user_id", "alice"}, {"score", 0.5}},
                 boost::json::object{{"id", "p-2"}, {"memory", "nobody's"}}}}}};
  });
  fake.start();
  platform_client tested(fake.url());
  CHECK(tested.run(alice, mb::get_input{foreign}, attempt("r")).outcome == kind::not_found);
  CHECK(tested.run(alice, mb::update_input{foreign, "mine now", {}}, attempt("r")).outcome ==
        kind::not_found);
  CHECK(tested.run(alice, mb::delete_input{foreign}, attempt("r")).outcome == kind::not_found);
  const auto found = tested.run(alice, mb::search_input{"x", 10, {}}, attempt("r"));
  REQUIRE(found.result.as_array().size() == 1);
  CHECK(found.result.as_array()[0].at("memory_id") == "p-1");
  for (const auto& request : fake.requests()) {
    CHECK(request.method != "PUT");
    CHECK(request.method != "DELETE");
    CHECK(request.header("authorization") == "Token " + std::string(platform_key));
  }
}

TEST_CASE("memory_bank client: unreadable answers and permanent server failures are rejected",
          "[integration][memory_bank_platform]") {
  fake_http_server fake;
  fake.on(verb::post, "/search", [](const recorded_request&) {
    return canned_response{.body = boost::json::object{{"unexpected", true}}};
  });
  // server/errors.py: the open-source server's LLM provider refused its key.
  fake.on(verb::post, "/memories", [](const recorded_request&) {
    return canned_response{
        .status = 502,
        .body = boost::json::object{{"detail", "Provider rejected the request (authentication)."},
                                    {"code", "provider_auth_failed"},
                                    {"request_id", "ab12cd34"}}};
  });
  fake.start();
  mb::client_settings settings;
  settings.url = fake.url();
  settings.api_key = "oss-key";
  io_threads threads{1};
  metrics::registry registry;
  auto client = mb::client::create(threads.context().get_executor(), settings, registry);

  const auto answer =
      threads.run(client->execute(alice, mb::search_input{"x", 10, {}}, attempt("r")));
  CHECK(answer.outcome == kind::rejected);
  CHECK(answer.http_status == 200);
  CHECK(answer.error.find("unexpected answer") != std::string::npos);

  const auto provider = threads.run(client->execute(alice, note("x"), attempt("r")));
  CHECK(provider.outcome == kind::rejected);
  CHECK(provider.http_status == 502);
  CHECK(provider.error.find("authentication") != std::string::npos);
  client->stop();

  const auto seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].header("x-api-key") == "oss-key");
  CHECK(seen[0].header("authorization").empty());
}

}  // namespace gpt_adapter::testing
