#include "tests/support/memory_bank_dev.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"

namespace gpt_adapter::testing {
namespace {

using boost::beast::http::verb;

http_reply call(const memory_bank_dev& bank, verb method, const std::string& target,
                const boost::json::value& body = nullptr,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  http_call request{.method = method, .target = target, .headers = std::move(headers)};
  if (!body.is_null()) {
    request.body = boost::json::serialize(body);
    request.headers.emplace_back("Content-Type", "application/json");
  }
  return http_request(bank.port(), request);
}

std::string add_memory(const memory_bank_dev& bank, const std::string& user,
                       const std::string& text, const boost::json::object& metadata = {}) {
  const auto reply =
      call(bank, verb::post, "/memories",
           boost::json::object{{"messages", boost::json::array{boost::json::object{
                                                {"role", "user"}, {"content", text}}}},
                               {"user_id", user},
                               {"metadata", metadata}});
  REQUIRE(reply.status == 200);
  const auto results = reply.json().at("results").as_array();
  REQUIRE(results.size() == 1);
  CHECK(results[0].at("event") == "ADD");
  CHECK(results[0].at("memory") == boost::json::value(text));
  return std::string(results[0].at("id").as_string());
}

}  // namespace

TEST_CASE("memory-bank-dev adds, lists, gets, updates, records history and deletes",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank;
  const auto id = add_memory(bank, "alice", "Alice likes green tea");
  add_memory(bank, "bob", "Bob likes coffee");

  const auto listed = call(bank, verb::get, "/memories?user_id=alice");
  REQUIRE(listed.status == 200);
  const auto memories = listed.json().at("results").as_array();
  REQUIRE(memories.size() == 1);
  CHECK(memories[0].at("id") == boost::json::value(id));
  CHECK(memories[0].at("user_id") == "alice");

  const auto got = call(bank, verb::get, "/memories/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.json().at("memory") == "Alice likes green tea");
  CHECK(!got.header("request-id").empty());

  const auto updated =
      call(bank, verb::put, "/memories/" + id, boost::json::object{{"text", "Alice likes oolong"}});
  REQUIRE(updated.status == 200);
  CHECK(call(bank, verb::get, "/memories/" + id).json().at("memory") == "Alice likes oolong");

  const auto history = call(bank, verb::get, "/memories/" + id + "/history");
  REQUIRE(history.status == 200);
  const auto entries = history.json().as_array();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].at("event") == "ADD");
  CHECK(entries[1].at("event") == "UPDATE");
  CHECK(entries[1].at("old_memory") == "Alice likes green tea");
  CHECK(entries[1].at("new_memory") == "Alice likes oolong");

  REQUIRE(call(bank, verb::delete_, "/memories/" + id).status == 200);
  const auto gone = call(bank, verb::get, "/memories/" + id);
  CHECK(gone.status == 404);
  CHECK(gone.json().at("detail").is_string());
  CHECK(call(bank, verb::delete_, "/memories/" + id).status == 404);

  const auto counts = bank.stats().at("requests").as_object();
  CHECK(counts.at("add") == 2);
  CHECK(counts.at("get") == 3);
  CHECK(counts.at("delete") == 2);
}

TEST_CASE("memory-bank-dev searches by lexical relevance within one user's memories",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank({"--threads", "2"});
  add_memory(bank, "alice", "Alice plays the piano on Sundays", {{"category", "hobby"}});
  add_memory(bank, "alice", "Alice's piano teacher is Clara", {{"category", "people"}});
  add_memory(bank, "alice", "Alice is allergic to peanuts", {{"category", "health"}});
  add_memory(bank, "bob", "Bob plays the piano on Sundays too");

  const auto found = call(bank, verb::post, "/search",
                          boost::json::object{{"query", "piano Sundays"}, {"user_id", "alice"}});
  REQUIRE(found.status == 200);
  const auto results = found.json().at("results").as_array();
  REQUIRE(results.size() == 2);
  CHECK(results[0].at("memory") == "Alice plays the piano on Sundays");
  CHECK(results[0].at("score").to_number<double>() == Approx(1.0));
  CHECK(results[1].at("score").to_number<double>() == Approx(0.5));
  for (const auto& result : results) {
    CHECK(result.at("user_id") == "alice");
  }

  const auto limited =
      call(bank, verb::post, "/search",
           boost::json::object{{"query", "piano"}, {"user_id", "alice"}, {"limit", 1}});
  CHECK(limited.json().at("results").as_array().size() == 1);

  const auto filtered =
      call(bank, verb::post, "/search",
           boost::json::object{
               {"query", "piano"}, {"user_id", "alice"}, {"filters", {{"category", "people"}}}});
  const auto only = filtered.json().at("results").as_array();
  REQUIRE(only.size() == 1);
  CHECK(only[0].at("memory") == "Alice's piano teacher is Clara");
}

TEST_CASE("memory-bank-dev refuses calls without an entity id as mem0 does",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank;
  const auto add =
      call(bank, verb::post, "/memories",
           boost::json::object{{"messages", boost::json::array{boost::json::object{
                                                {"role", "user"}, {"content", "no owner"}}}}});
  CHECK(add.status == 400);
  CHECK(add.json().at("detail").is_string());
  CHECK(call(bank, verb::get, "/memories").status == 400);
  CHECK(call(bank, verb::post, "/search", boost::json::object{{"query", "x"}}).status == 400);
  CHECK(call(bank, verb::post, "/memories", boost::json::object{{"user_id", "a"}}).status == 422);
}

TEST_CASE("memory-bank-dev injects faults set by flags and by the admin endpoint",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank({"--fail-next", "1", "--fail-status", "502"});
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 502);
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 200);

  bank.set_faults({{"fail_next", 2}, {"fail_status", 429}});
  const auto limited = call(bank, verb::get, "/memories?user_id=a");
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "1");
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 429);
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 200);

  bank.set_faults({{"down", true}});
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 503);
  CHECK(http_get(bank.port(), "/_dev/stats").status == 200);
  bank.set_faults({{"down", false}, {"error_rate", 1.0}});
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 500);
  bank.clear_faults();
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 200);

  bank.set_faults({{"latency_ms", 300}});
  const auto started = std::chrono::steady_clock::now();
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= 300ms);

  CHECK(bank.stats().at("injected_failures") == 5);
  CHECK_THROWS(bank.set_faults({{"error_rate", 2}}));
  bank.clear_stats();
  CHECK(bank.calls("list") == 0);
}

TEST_CASE("memory-bank-dev requires its API key when given one", "[integration][memory_bank_dev]") {
  memory_bank_dev bank({"--api-key", "dev-key-123"});
  CHECK(call(bank, verb::get, "/memories?user_id=a").status == 401);
  CHECK(call(bank, verb::get, "/memories?user_id=a", nullptr, {{"Authorization", "Bearer wrong"}})
            .status == 401);
  CHECK(call(bank, verb::get, "/memories?user_id=a", nullptr,
             {{"Authorization", "Bearer dev-key-123"}})
            .status == 200);
  CHECK(call(bank, verb::get, "/memories?user_id=a", nullptr,
             {{"Authorization", "Token dev-key-123"}})
            .status == 200);
  CHECK(call(bank, verb::get, "/memories?user_id=a", nullptr, {{"X-API-Key", "dev-key-123"}})
            .status == 200);
  const auto recent = bank.stats().at("recent").as_array();
  REQUIRE(recent.size() == 5);
  CHECK(recent[0].at("authorization") == "");
  CHECK(recent[2].at("authorization") == "Bearer");
  CHECK(recent[3].at("authorization") == "Token");
  CHECK(recent[4].at("authorization") == "X-API-Key");
  // The key itself is never echoed back.
  CHECK(boost::json::serialize(recent).find("dev-key-123") == std::string::npos);
}

TEST_CASE("memory-bank-dev keeps memories in its data file across restarts",
          "[integration][memory_bank_dev]") {
  temp_dir data("memory-bank-data");
  const auto file = (data.path() / "memories.jsonl").string();
  memory_bank_dev bank({"--data-file", file});
  const auto kept = add_memory(bank, "alice", "kept across restarts");
  const auto dropped = add_memory(bank, "alice", "deleted before the restart");
  REQUIRE(call(bank, verb::delete_, "/memories/" + dropped).status == 200);
  REQUIRE(call(bank, verb::put, "/memories/" + kept, boost::json::object{{"text", "kept, edited"}})
              .status == 200);

  bank.stop();
  bank.start();
  CHECK(call(bank, verb::get, "/memories/" + kept).json().at("memory") == "kept, edited");
  CHECK(call(bank, verb::get, "/memories/" + dropped).status == 404);
  CHECK(call(bank, verb::get, "/memories/" + kept + "/history").json().as_array().size() == 2);
  CHECK(bank.stats().at("memories") == 1);
}

}  // namespace gpt_adapter::testing
