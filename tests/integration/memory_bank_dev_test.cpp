#include "tests/support/memory_bank_dev.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"

// The dev Memory Bank is only worth its tests if it refuses what mem0 refuses and answers in
// mem0's shapes: each check here names the behaviour of mem0's own code (mem0ai/mem0 at
// 8d5b7865) or documents it stands in for.
namespace gpt_adapter::testing {
namespace {

using boost::beast::http::verb;
namespace json = boost::json;
using headers = std::vector<std::pair<std::string, std::string>>;

http_reply call(const memory_bank_dev& bank, verb method, const std::string& target,
                const json::value& body = nullptr, headers extra = {}) {
  http_call request{.method = method, .target = target, .headers = std::move(extra)};
  if (!body.is_null()) {
    request.body = json::serialize(body);
    request.headers.emplace_back("Content-Type", "application/json");
  }
  return http_request(bank.port(), request);
}

json::array messages(const std::string& text) {
  return json::array{json::object{{"role", "user"}, {"content", text}}};
}

std::string add_memory(const memory_bank_dev& bank, const std::string& user,
                       const std::string& text, const json::object& metadata = {}) {
  const auto reply =
      call(bank, verb::post, "/memories",
           json::object{{"messages", messages(text)}, {"user_id", user}, {"metadata", metadata}});
  REQUIRE(reply.status == 200);
  const auto results = reply.json().at("results").as_array();
  REQUIRE(results.size() == 1);
  CHECK(results[0].at("event") == "ADD");
  CHECK(results[0].at("memory") == json::value(text));
  return std::string(results[0].at("id").as_string());
}

http_reply search(const memory_bank_dev& bank, const json::object& body) {
  return call(bank, verb::post, "/search", body);
}

const std::string unknown_id = "0b6c2f9e-8d1a-4c55-9a43-2f3e1b7d9c10";

}  // namespace

TEST_CASE("memory-bank-dev (mem0-oss) adds, lists, gets, updates, records history and deletes",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank;
  const auto id = add_memory(bank, "alice", "Alice likes green tea", {{"source", "chat"}});
  add_memory(bank, "bob", "Bob likes coffee");
  CHECK(id.size() == 36);  // uuid4, as Memory._create_memory makes them

  const auto listed = call(bank, verb::get, "/memories?user_id=alice");
  REQUIRE(listed.status == 200);
  const auto memories = listed.json().at("results").as_array();
  REQUIRE(memories.size() == 1);
  CHECK(memories[0].at("id") == json::value(id));
  CHECK(memories[0].at("user_id") == "alice");
  CHECK(memories[0].at("metadata") == json::object{{"source", "chat"}});
  // datetime.now(timezone.utc).isoformat()
  CHECK(std::string(memories[0].at("created_at").as_string()).ends_with("+00:00"));

  const auto got = call(bank, verb::get, "/memories/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.json().at("memory") == "Alice likes green tea");
  CHECK(got.json().at("score").is_null());
  CHECK(!got.header("request-id").empty());

  // MemoryUpdate: text and metadata, the metadata merged into what the memory had.
  const auto updated =
      call(bank, verb::put, "/memories/" + id,
           json::object{{"text", "Alice loves green tea"},
                        {"metadata", {{"mood", "happy"}, {"user_id", "mallory"}}}});
  REQUIRE(updated.status == 200);
  CHECK(updated.json() == json::object{{"message", "Memory updated successfully!"}});
  const auto after = call(bank, verb::get, "/memories/" + id).json();
  CHECK(after.at("memory") == "Alice loves green tea");
  CHECK(after.at("metadata") == json::object{{"source", "chat"}, {"mood", "happy"}});
  CHECK(after.at("user_id") == "alice");  // identity keys in metadata are ignored
  CHECK(call(bank, verb::put, "/memories/" + id, json::object{}).status == 400);

  const auto history = call(bank, verb::get, "/memories/" + id + "/history").json().as_array();
  REQUIRE(history.size() == 2);
  CHECK(history[0].at("event") == "ADD");
  CHECK(history[1].at("event") == "UPDATE");
  CHECK(history[1].at("old_memory") == "Alice likes green tea");
  CHECK(history[1].at("is_deleted") == false);

  REQUIRE(call(bank, verb::delete_, "/memories/" + id).status == 200);
  // Memory.get returns None: the server answers 200 null, not 404.
  const auto gone = call(bank, verb::get, "/memories/" + id);
  CHECK(gone.status == 200);
  CHECK(gone.body == "null");
  CHECK(call(bank, verb::delete_, "/memories/" + id).status == 404);
  CHECK(call(bank, verb::put, "/memories/" + unknown_id, json::object{{"text", "x"}}).status ==
        404);
  // The pgvector id column is a uuid: anything else fails in the store, a 502.
  const auto malformed = call(bank, verb::get, "/memories/not-a-uuid");
  CHECK(malformed.status == 502);
  CHECK(malformed.json().at("code") == "unknown");
  CHECK(call(bank, verb::delete_, "/memories/42").status == 502);
}

TEST_CASE("memory-bank-dev (mem0-oss) search takes top_k, not limit, and the owner in filters",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank;
  for (int i = 0; i < 25; ++i) {
    add_memory(bank, "alice", "tea note " + std::to_string(i));
  }
  add_memory(bank, "bob", "tea of bob");
  const auto count = [&](const json::object& body) {
    const auto reply = search(bank, body);
    REQUIRE(reply.status == 200);
    return reply.json().at("results").as_array().size();
  };
  // SearchRequest has no limit: it is ignored and top_k defaults to 20.
  CHECK(count({{"query", "tea"}, {"filters", {{"user_id", "alice"}}}, {"limit", 3}}) == 20);
  CHECK(count({{"query", "tea"}, {"filters", {{"user_id", "alice"}}}, {"top_k", 3}}) == 3);
  // Top-level ids are deprecated but still moved into the filters.
  CHECK(count({{"query", "tea"}, {"user_id", "bob"}}) == 1);
  const auto scored = search(bank, {{"query", "note"}, {"filters", {{"user_id", "alice"}}}});
  CHECK(scored.json().at("results").as_array()[0].at("score").is_number());

  CHECK(search(bank, {{"query", "tea"}}).status == 400);
  CHECK(search(bank, {{"query", "  "}, {"filters", {{"user_id", "alice"}}}}).status == 400);
  CHECK(search(bank, {{"filters", {{"user_id", "alice"}}}}).status == 422);
  CHECK(search(bank, {{"query", "tea"}, {"filters", {{"user_id", "a b"}}}}).status == 400);
  CHECK(
      search(bank, {{"query", "tea"}, {"filters", {{"user_id", "alice"}}}, {"top_k", -1}}).status ==
      400);
}

TEST_CASE("memory-bank-dev (mem0-oss) filters as pgvector does, and refuses what it refuses",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank;
  add_memory(bank, "alice", "tea with lemon",
             {{"categories", json::array{"food", "drink"}},
              {"gpt_adapter_category_food", true},
              {"gpt_adapter_created_at", 1767225600}});
  add_memory(bank, "alice", "tea with milk", {{"kind", "drink"}, {"gpt_adapter_created_at", 5}});
  const auto found = [&](json::object filters) {
    filters["user_id"] = "alice";
    const auto reply = search(bank, {{"query", "tea"}, {"filters", filters}});
    REQUIRE(reply.status == 200);
    return reply.json().at("results").as_array().size();
  };
  CHECK(found({{"kind", "drink"}}) == 1);
  CHECK(found({{"gpt_adapter_category_food", true}}) == 1);
  CHECK(found({{"gpt_adapter_created_at", {{"gte", 1767225600}}}}) == 1);
  CHECK(found({{"gpt_adapter_created_at", {{"lte", 10}}}}) == 1);
  CHECK(found({{"OR", json::array{json::object{{"kind", "drink"}},
                                  json::object{{"gpt_adapter_category_food", true}}}}}) == 2);
  CHECK(found({{"kind", {{"in", json::array{"drink", "snack"}}}}}) == 1);
  CHECK(found({{"kind", "*"}}) == 1);
  // payload->>'categories' is the JSON text of the list: equality and `in` never match it.
  CHECK(found({{"categories", {{"in", json::array{"food"}}}}}) == 0);
  CHECK(found({{"categories", "food"}}) == 0);

  const auto refused = [&](json::object filters) {
    filters["user_id"] = "alice";
    const auto reply = search(bank, {{"query", "tea"}, {"filters", filters}});
    CHECK(reply.status == 400);
    return std::string(reply.json().at("detail").as_string());
  };
  // The GPT-facing shape sent verbatim: not an operator pgvector knows.
  CHECK(refused({{"date_range", {{"start", "2026-01-01T00:00:00Z"}}}}) ==
        "Unsupported filter operator: start");
  CHECK(refused({{"kind", {{"eq", "x"}, {"between", 1}}}}) ==
        "Unsupported metadata filter operator: between");
  // created_at is ISO text; numeric comparisons float() their operand.
  CHECK_THAT(refused({{"created_at", {{"gte", "2026-01-01T00:00:00Z"}}}}),
             Catch::StartsWith("could not convert string to float"));
  CHECK_THAT(refused({{"kind", {{"in", "drink"}}}}), Catch::Contains("requires a list value"));
  CHECK_THAT(refused({{"OR", json::array{}}}), Catch::Contains("non-empty list"));
}

TEST_CASE("memory-bank-dev (mem0-oss) refuses bodies FastAPI and mem0 refuse",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank;
  const auto add = call(bank, verb::post, "/memories", json::object{{"messages", messages("x")}});
  CHECK(add.status == 400);
  CHECK(add.json().at("detail") ==
        "At least one identifier (user_id, agent_id, run_id) is required.");
  const auto missing = call(bank, verb::post, "/memories", json::object{{"user_id", "a"}});
  CHECK(missing.status == 422);
  CHECK(missing.json().at("detail").as_array()[0].at("loc") == json::array{"body", "messages"});
  CHECK(call(bank, verb::post, "/memories",
             json::object{{"messages", json::array{json::object{{"role", "user"}}}},
                          {"user_id", "a"}})
            .status == 422);
  CHECK(call(bank, verb::post, "/memories",
             json::object{{"messages", messages("x")}, {"user_id", "a"}, {"infer", "yes"}})
            .status == 422);
  CHECK(call(bank, verb::post, "/memories",
             json::object{{"messages", messages("x")}, {"user_id", "has space"}})
            .status == 400);
  CHECK(call(bank, verb::get, "/memories?user_id=a&top_k=1001").status == 422);

  // infer false stores each message verbatim and says which role it had.
  const auto verbatim = call(
      bank, verb::post, "/memories",
      json::object{{"messages", messages("Exactly this")}, {"user_id", "a"}, {"infer", false}});
  CHECK(verbatim.json().at("results").as_array()[0].at("role") == "user");
  // The additive extraction does not extract a fact the owner already has.
  const auto again = call(bank, verb::post, "/memories",
                          json::object{{"messages", messages("Exactly this")}, {"user_id", "a"}});
  CHECK(again.json().at("results").as_array().empty());
}

TEST_CASE("memory-bank-dev (mem0-oss) authenticates as server/auth.py does",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank({"--api-key", "admin-key-0123456789", "--user-api-key", "user-key-42"});
  const auto list = [&](headers extra) {
    return call(bank, verb::get, "/memories?user_id=a", nullptr, std::move(extra));
  };
  const auto none = list({});
  CHECK(none.status == 401);
  CHECK(none.header("www-authenticate") == "Bearer");
  // A Bearer credential is decoded as a dashboard JWT, whatever else is sent.
  const auto bearer = list({{"Authorization", "Bearer admin-key-0123456789"}});
  CHECK(bearer.status == 401);
  CHECK(bearer.json().at("detail") == "Invalid or expired token.");
  CHECK(list({{"Authorization", "Bearer x"}, {"X-API-Key", "admin-key-0123456789"}}).status == 401);
  CHECK(list({{"Authorization", "Token admin-key-0123456789"}}).status == 401);
  CHECK(list({{"X-API-Key", "wrong"}}).json().at("detail") == "Invalid API key.");
  CHECK(list({{"X-API-Key", "admin-key-0123456789"}}).status == 200);
  CHECK(list({{"X-API-Key", "user-key-42"}}).status == 200);
  // Deleting in bulk needs the admin role.
  CHECK(call(bank, verb::delete_, "/memories?user_id=a", nullptr, {{"X-API-Key", "user-key-42"}})
            .status == 403);
  CHECK(call(bank, verb::delete_, "/memories?user_id=a", nullptr,
             {{"X-API-Key", "admin-key-0123456789"}})
            .status == 200);
  CHECK(call(bank, verb::delete_, "/memories", nullptr, {{"X-API-Key", "admin-key-0123456789"}})
            .status == 400);
  // The key itself is never echoed back.
  CHECK(json::serialize(bank.stats()).find("admin-key-0123456789") == std::string::npos);
}

TEST_CASE("memory-bank-dev (mem0-platform) adds in the background and answers with an event",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank(
      {"--dialect", "mem0-platform", "--api-key", "m0-key", "--processing-delay-ms", "100"});
  const headers token{{"Authorization", "Token m0-key"}};
  CHECK(call(bank, verb::post, "/v3/memories/add/", json::object{}, {}).status == 401);
  CHECK(call(bank, verb::post, "/v3/memories/add/", json::object{},
             {{"Authorization", "Bearer m0-key"}})
            .status == 401);
  CHECK(call(bank, verb::post, "/v3/memories/add/", json::object{}, {{"X-API-Key", "m0-key"}})
            .status == 401);
  CHECK(
      call(bank, verb::post, "/v3/memories/add/", json::object{{"messages", messages("x")}}, token)
          .status == 400);

  const auto queued = call(
      bank, verb::post, "/v3/memories/add/",
      json::object{{"messages", messages("Alice prefers coffee")}, {"user_id", "alice"}}, token);
  REQUIRE(queued.status == 200);
  CHECK(queued.json().at("status") == "PENDING");
  const std::string event(queued.json().at("event_id").as_string());
  json::value state;
  REQUIRE(wait_until(
      [&] {
        state = call(bank, verb::get, "/v1/event/" + event + "/", nullptr, token).json();
        return state.at("status") == "SUCCEEDED";
      },
      10s));
  const auto results = state.at("results").as_array();
  REQUIRE(results.size() == 1);
  CHECK(results[0].at("event") == "ADD");
  CHECK(call(bank, verb::get, "/v1/event/" + unknown_id + "/", nullptr, token).status == 404);
}

TEST_CASE("memory-bank-dev (mem0-platform) v3 search and list validate the filter grammar",
          "[integration][memory_bank_dev]") {
  memory_bank_dev bank({"--dialect", "mem0-platform", "--api-key", "m0-key"});
  const headers token{{"Authorization", "Token m0-key"}};
  const auto direct = [&](const std::string& text, json::object metadata) {
    const auto reply = call(bank, verb::post, "/v3/memories/add/",
                            json::object{{"messages", messages(text)},
                                         {"user_id", "alice"},
                                         {"metadata", std::move(metadata)},
                                         {"infer", false}},
                            token);
    REQUIRE(reply.status == 200);
    CHECK(reply.json().at("status") == "SUCCEEDED");
    return std::string(reply.json().at("results").as_array()[0].at("id").as_string());
  };
  const auto lemon = direct("tea with lemon", {{"tag", "a"}});
  direct("tea with milk", {{"tag", "b"}});
  const auto searched = [&](json::value filters) {
    return call(bank, verb::post, "/v3/memories/search/",
                json::object{{"query", "tea"}, {"filters", std::move(filters)}}, token);
  };
  const auto hits =
      searched(json::object{{"AND", json::array{json::object{{"user_id", "alice"}},
                                                json::object{{"metadata", {{"tag", "a"}}}}}}});
  REQUIRE(hits.status == 200);
  REQUIRE(hits.json().at("results").as_array().size() == 1);
  CHECK(hits.json().at("results").as_array()[0].at("id") == json::value(lemon));
  CHECK(searched(json::object{{"user_id", "alice"}, {"created_at", {{"gte", "2000-01-01"}}}})
            .json()
            .at("results")
            .as_array()
            .size() == 2);

  // Refused as the Platform documents it.
  CHECK(call(bank, verb::post, "/v3/memories/search/",
             json::object{
                 {"query", "tea"}, {"user_id", "alice"}, {"filters", {{"user_id", "alice"}}}},
             token)
            .status == 400);
  CHECK(call(bank, verb::post, "/v3/memories/search/", json::object{{"query", "tea"}}, token)
            .status == 400);
  CHECK(searched(json::object{{"user_id", "alice"}, {"bogus_key", "z"}}).status == 400);
  CHECK(searched(
            json::object{{"user_id", "alice"}, {"metadata", {{"tag", {{"in", json::array{"a"}}}}}}})
            .status == 400);
  CHECK(
      searched(json::object{{"user_id", "alice"}, {"created_at", {{"eq", "2026-01-01"}}}}).status ==
      400);
  CHECK(searched(json::object{{"user_id", "alice"}, {"categories", {{"nin", json::array{"x"}}}}})
            .status == 400);
  CHECK(searched(json::object{{"user_id", {{"ne", "bob"}}}}).status == 400);
  CHECK(searched(json::object{{"user_id", "alice"}, {"keywords", {{"contains", "tea"}}}}).status ==
        500);

  const auto page = call(bank, verb::post, "/v3/memories/?page=1&page_size=1",
                         json::object{{"filters", {{"user_id", "alice"}}}}, token);
  REQUIRE(page.status == 200);
  CHECK(page.json().at("count") == 2);
  CHECK(page.json().at("next").is_string());
  CHECK(call(bank, verb::post, "/v3/memories/?page=3&page_size=1",
             json::object{{"filters", {{"user_id", "alice"}}}}, token)
            .status == 404);
  CHECK(call(bank, verb::post, "/v3/memories/?page_size=500",
             json::object{{"filters", {{"user_id", "alice"}}}}, token)
            .status == 400);

  // v1 by id: a 400 for an id that is not a UUID, 404 {"error": "Memory not found!"}.
  CHECK(call(bank, verb::get, "/v1/memories/abc/", nullptr, token).status == 400);
  const auto missing = call(bank, verb::get, "/v1/memories/" + unknown_id + "/", nullptr, token);
  CHECK(missing.status == 404);
  CHECK(missing.json().at("error") == "Memory not found!");
  CHECK(call(bank, verb::delete_, "/v1/memories/", nullptr, token).status == 400);
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

TEST_CASE("memory-bank-dev keeps memories in its data file across restarts",
          "[integration][memory_bank_dev]") {
  temp_dir data("memory-bank-data");
  const auto file = (data.path() / "memories.jsonl").string();
  memory_bank_dev bank({"--data-file", file});
  const auto kept = add_memory(bank, "alice", "kept across restarts");
  const auto dropped = add_memory(bank, "alice", "deleted before the restart");
  REQUIRE(call(bank, verb::delete_, "/memories/" + dropped).status == 200);
  REQUIRE(
      call(bank, verb::put, "/memories/" + kept, json::object{{"text", "kept, edited"}}).status ==
      200);

  bank.stop();
  bank.start();
  CHECK(call(bank, verb::get, "/memories/" + kept).json().at("memory") == "kept, edited");
  CHECK(call(bank, verb::get, "/memories/" + dropped).body == "null");
  CHECK(call(bank, verb::get, "/memories/" + kept + "/history").json().as_array().size() == 2);
  CHECK(bank.stats().at("memories") == 1);
}

}  // namespace gpt_adapter::testing
