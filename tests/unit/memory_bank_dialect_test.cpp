#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "common/memory_bank/mem0_api.hpp"
#include "common/memory_bank/memory_tags.hpp"
#include "common/text/rfc3339.hpp"

// Each dialect's requests, and its readers against answers in the shapes mem0's own code and
// documents give (mem0ai/mem0 at 8d5b7865: server/main.py and mem0/memory/main.py for the
// open-source server, docs/openapi.json and docs/api-reference for the Platform).
namespace mb = gpt_adapter::memory_bank;
namespace json = boost::json;
using boost::beast::http::verb;

namespace {

const mb::owner alice{"alice"};

json::value parse(std::string_view text) {
  return json::parse(text);
}

json::object body_of(const mb::http_request& request) {
  REQUIRE(request.body.has_value());
  return *request.body;
}

mb::time_point at(std::string_view text) {
  return *gpt_adapter::text::parse_rfc3339(text);
}

const auto oss = mb::make_mem0_api(mb::dialect::mem0_oss);
const auto platform = mb::make_mem0_api(mb::dialect::mem0_platform);

}  // namespace

TEST_CASE("memory_bank dialect: names parse and print; openmemory is retired",
          "[memory_bank][dialect]") {
  CHECK(mb::parse_dialect("mem0-platform") == mb::dialect::mem0_platform);
  CHECK(mb::parse_dialect("mem0-oss") == mb::dialect::mem0_oss);
  CHECK(mb::to_string(mb::dialect::mem0_oss) == "mem0-oss");
  CHECK_FALSE(mb::parse_dialect("openmemory").has_value());
  CHECK_FALSE(mb::parse_dialect("mem0").has_value());
  CHECK(mb::retired_dialect_reason("openmemory").has_value());
  CHECK_FALSE(mb::retired_dialect_reason("mem0-oss").has_value());
}

TEST_CASE("memory_bank dialect: mem0-oss search puts the owner in filters and asks top_k",
          "[memory_bank][dialect]") {
  // server/main.py SearchRequest has no `limit` (extra fields are ignored, top_k defaults to
  // 20) and top-level entity ids are deprecated.
  const auto plain = oss->search(alice, {.query = "tea", .limit = 7});
  CHECK(plain.method == verb::post);
  CHECK(plain.target == "/search");
  CHECK(body_of(plain) ==
        parse(R"({"query":"tea","filters":{"user_id":"alice"},"top_k":7})").as_object());

  // One category is an equality on its tag; several an OR list; dates compare the numeric
  // creation tag, since pgvector's gte/lte cast to numeric and created_at is ISO text.
  const auto filtered =
      oss->search(alice, {.query = "tea",
                          .limit = 3,
                          .filter = {.categories = {"Food & Drink", "travel"},
                                     .created_after = at("2026-01-01T00:00:00Z"),
                                     .created_before = at("2026-02-01T00:00:00Z")}});
  CHECK(body_of(filtered).at("filters") == parse(R"({"user_id":"alice",
                  "OR":[{"gpt_adapter_category_food_20_26_20drink":true},
                        {"gpt_adapter_category_travel":true}],
                  "gpt_adapter_created_at":{"gte":1767225600,"lte":1769904000}})"));
  const auto one = oss->search(alice, {.query = "tea", .filter = {.categories = {"food"}}});
  CHECK(body_of(one).at("filters") ==
        parse(R"({"user_id":"alice","gpt_adapter_category_food":true})"));
}

TEST_CASE("memory_bank dialect: mem0-platform search uses v3 and its filter grammar",
          "[memory_bank][dialect]") {
  const auto plain = platform->search(alice, {.query = "tea", .limit = 7});
  CHECK(plain.method == verb::post);
  CHECK(plain.target == "/v3/memories/search/");
  // Top-level user_id is a 400 on v3: the owner goes inside filters.
  CHECK(body_of(plain) ==
        parse(R"({"query":"tea","filters":{"user_id":"alice"},"top_k":7})").as_object());
  const auto filtered =
      platform->search(alice, {.query = "tea",
                               .limit = 3,
                               .filter = {.categories = {"food", "travel"},
                                          .created_after = at("2026-01-01T00:00:00Z"),
                                          .created_before = at("2026-02-01T00:00:00.500Z")}});
  // Metadata takes bare values, eq, ne and contains only: several categories are ORed
  // equalities; created_at compares natively.
  CHECK(body_of(filtered).at("filters") == parse(R"({"AND":[{"user_id":"alice"},
                         {"OR":[{"metadata":{"gpt_adapter_category_food":true}},
                                {"metadata":{"gpt_adapter_category_travel":true}}]},
                         {"created_at":{"gte":"2026-01-01T00:00:00.000Z"}},
                         {"created_at":{"lte":"2026-02-01T00:00:00.500Z"}}]})"));
}

TEST_CASE("memory_bank dialect: add requests carry the owner, the metadata and infer",
          "[memory_bank][dialect]") {
  const json::object metadata{{"source", "chat"}, {"gpt_adapter_request_id", "r1"}};
  const auto oss_add = oss->add(alice, {.content = "Likes tea", .infer = false}, metadata);
  CHECK(oss_add.target == "/memories");
  CHECK(body_of(oss_add) ==
        parse(R"({"messages":[{"role":"user","content":"Likes tea"}],"user_id":"alice",
                  "metadata":{"source":"chat","gpt_adapter_request_id":"r1"},"infer":false})")
            .as_object());
  const auto platform_add = platform->add(alice, {.content = "Likes tea"}, metadata);
  CHECK(platform_add.target == "/v3/memories/add/");
  CHECK(body_of(platform_add).at("infer") == true);
  CHECK(body_of(platform_add).at("user_id") == "alice");
}

TEST_CASE("memory_bank dialect: addressing one memory, listing, history and forget",
          "[memory_bank][dialect]") {
  const std::string id = "2c4d1f44-4f7b-4b2f-9f6e-7b5b4f5a1234";
  CHECK(oss->get(id).target == "/memories/" + id);
  CHECK(platform->get(id).target == "/v1/memories/" + id + "/");
  CHECK(oss->history(id).target == "/memories/" + id + "/history");
  CHECK(platform->history(id).target == "/v1/memories/" + id + "/history/");
  CHECK(oss->remove(id).method == verb::delete_);
  CHECK(platform->update(id, "new", json::object{{"k", 1}}).target == "/v1/memories/" + id + "/");
  CHECK(body_of(oss->update(id, "new", json::object{{"k", 1}})) ==
        parse(R"({"text":"new","metadata":{"k":1}})").as_object());

  // The open-source server has no offset: ask for everything up to the page and one more.
  CHECK(oss->list(alice, {.page = 3, .page_size = 20}).target ==
        "/memories?user_id=alice&top_k=61");
  CHECK(oss->list(alice, {.page = 60, .page_size = 20}).target ==
        "/memories?user_id=alice&top_k=1000");
  const auto listed = platform->list(alice, {.page = 3, .page_size = 20});
  CHECK(listed.method == verb::post);
  CHECK(listed.target == "/v3/memories/?page=3&page_size=20");
  CHECK(body_of(listed) == parse(R"({"filters":{"user_id":"alice"}})").as_object());

  CHECK(oss->forget(alice).target == "/memories?user_id=alice");
  CHECK(platform->forget(alice).target == "/v1/memories/?user_id=alice");
  CHECK(platform->event("e1")->target == "/v1/event/e1/");
  CHECK_FALSE(oss->event("e1").has_value());

  // Entity ids are percent-encoded.
  CHECK(oss->list({"a b&c"}, {}).target == "/memories?user_id=a%20b%26c&top_k=51");
}

TEST_CASE("memory_bank dialect: find_created looks for the request's tag",
          "[memory_bank][dialect]") {
  const auto oss_find = oss->find_created(alice, "req-1", "Likes tea");
  CHECK(oss_find.target == "/search");
  CHECK(
      body_of(oss_find) ==
      parse(R"({"query":"Likes tea","filters":{"user_id":"alice","gpt_adapter_request_id":"req-1"},
                  "top_k":100,"threshold":0})")
          .as_object());
  const auto platform_find = platform->find_created(alice, "req-1", "Likes tea");
  CHECK(platform_find.target == "/v3/memories/?page=1&page_size=100");
  CHECK(body_of(platform_find).at("filters") ==
        parse(R"({"AND":[{"user_id":"alice"},{"metadata":{"gpt_adapter_request_id":"req-1"}}]})"));
}

TEST_CASE("memory_bank dialect: mem0-oss answers are read as the server writes them",
          "[memory_bank][dialect]") {
  // Memory.search: MemoryItem.model_dump() with score and the promoted keys.
  const auto found = oss->read_memories(parse(
      R"({"results":[{"id":"7f0c...","memory":"Likes tea","hash":"x","metadata":{"a":1},
          "score":0.82,"created_at":"2026-01-15T10:30:00.123456+00:00","updated_at":null,
          "user_id":"alice"}]})"));
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK(found->front().content == "Likes tea");
  CHECK(found->front().relevance_score == Approx(0.82));
  CHECK(found->front().user_id == "alice");
  CHECK_FALSE(found->front().updated_at.has_value());

  // Memory.add: {"results": [{id, memory, event}]}; an empty list when nothing was extracted.
  const auto added =
      oss->read_add(parse(R"({"results":[{"id":"m1","memory":"Likes tea","event":"ADD"}]})"));
  REQUIRE(added.ok());
  CHECK_FALSE(added->event_id.has_value());
  REQUIRE(added->changes.size() == 1);
  CHECK(added->changes.front().event == mb::change_event::add);
  CHECK(oss->read_add(parse(R"({"results":[]})"))->changes.empty());

  // GET /memories/{id} answers 200 null for a memory it does not have.
  const auto missing = oss->read_memory(parse("null"));
  REQUIRE(missing.ok());
  CHECK_FALSE(missing.value().has_value());

  // Memory.history: the SQLite rows.
  const auto history = oss->read_history(parse(
      R"([{"id":"h1","memory_id":"m1","old_memory":null,"new_memory":"Likes tea","event":"ADD",
           "created_at":"2026-01-15T10:30:00+00:00","updated_at":"2026-01-15T10:30:00+00:00",
           "is_deleted":false,"actor_id":null,"role":"user"},
          {"id":"h2","memory_id":"m1","old_memory":"Likes tea","new_memory":"Loves tea",
           "event":"UPDATE","created_at":"2026-01-15T10:30:00+00:00",
           "updated_at":"2026-01-16T10:30:00+00:00","is_deleted":false,"actor_id":null,
           "role":null}])"));
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK(history->at(1).event == mb::change_event::update);
  CHECK(history->at(1).old_content == "Likes tea");

  // server/errors.py: a provider's refused key or malformed request stays refused.
  CHECK(oss->is_permanent_failure(
      502, parse(R"({"detail":"...","code":"provider_auth_failed","request_id":"ab12cd34"})")));
  CHECK(oss->is_permanent_failure(502, parse(R"({"detail":"...","code":"provider_bad_request"})")));
  CHECK_FALSE(
      oss->is_permanent_failure(502, parse(R"({"detail":"...","code":"provider_timeout"})")));
  CHECK_FALSE(oss->is_permanent_failure(503, parse(R"({"detail":"..."})")));
  CHECK(oss->refuses_bulk_delete(403));
  CHECK_FALSE(platform->refuses_bulk_delete(403));

  // Answers of the wrong shape are refused, not guessed at.
  CHECK_FALSE(oss->read_memories(parse(R"([{"id":"m1","memory":"x"}])")).ok());
  CHECK_FALSE(oss->read_add(parse(R"({"results":[{"id":"m1","memory":"x"}]})")).ok());
  CHECK_FALSE(oss->read_memory(parse(R"({"memory":"no id"})")).ok());
}

TEST_CASE("memory_bank dialect: mem0-oss pages are cut from what the server lists",
          "[memory_bank][dialect]") {
  const auto results = [](int count) {
    json::array items;
    for (int i = 0; i < count; ++i) {
      items.push_back(json::object{{"id", "m" + std::to_string(i)}, {"memory", "x"}});
    }
    return json::value(json::object{{"results", std::move(items)}});
  };
  // Page 2 of 10 asked with top_k 21: 21 answered means a third page exists.
  auto page = oss->read_page(results(21), {.page = 2, .page_size = 10});
  REQUIRE(page.ok());
  CHECK(page->memories.size() == 10);
  CHECK(page->memories.front().memory_id == "m10");
  CHECK(page->has_more);
  CHECK_FALSE(page->capped);
  page = oss->read_page(results(15), {.page = 2, .page_size = 10});
  CHECK(page->memories.size() == 5);
  CHECK_FALSE(page->has_more);
  // The last page the server can reach: it lists at most 1,000, so more may exist, unlistable.
  page = oss->read_page(results(1000), {.page = 10, .page_size = 100});
  CHECK(page->memories.size() == 100);
  CHECK_FALSE(page->has_more);
  CHECK(page->capped);
  page = oss->read_page(results(1000), {.page = 11, .page_size = 100});
  CHECK(page->memories.empty());
  CHECK(page->capped);
}

TEST_CASE("memory_bank dialect: mem0-platform answers are read as the Platform writes them",
          "[memory_bank][dialect]") {
  // docs/api-reference/memory/add-memories.mdx: add is queued, with an event to poll.
  const auto queued = platform->read_add(parse(R"({"event_id":"evt-uuid","status":"PENDING"})"));
  REQUIRE(queued.ok());
  CHECK(queued->event_id == "evt-uuid");
  // docs/platform/features/direct-import.mdx: infer false stores at once.
  const auto direct = platform->read_add(parse(
      R"({"message":"Memories stored successfully","status":"SUCCEEDED","event_id":"e",
          "results":[{"id":"19d6","data":{"memory":"Alice loves playing badminton"},"event":"ADD"}]})"));
  REQUIRE(direct.ok());
  CHECK_FALSE(direct->event_id.has_value());
  REQUIRE(direct->changes.size() == 1);
  CHECK(direct->changes.front().content == "Alice loves playing badminton");
  CHECK_FALSE(platform->read_add(parse(R"({"status":"FAILED"})")).ok());

  // GET /v1/event/{id}/ (docs/openapi.json; cli/CLI_SPECIFICATION.md shows the results).
  CHECK(platform->read_event(parse(R"({"id":"e","status":"RUNNING"})"))->status ==
        mb::event_answer::state::processing);
  const auto done = platform->read_event(parse(
      R"({"id":"evt-abc","event_type":"ADD","status":"SUCCEEDED","latency":412.0,
          "results":[{"id":"mem-xyz","event":"UPDATE","user_id":"alice",
                      "memory":"User prefers green tea","previous_memory":"User prefers coffee"},
                     {"id":"mem-abc","event":"NONE","user_id":"alice"}]})"));
  REQUIRE(done.ok());
  CHECK(done->status == mb::event_answer::state::succeeded);
  REQUIRE(done->changes.size() == 2);
  CHECK(done->changes[0].event == mb::change_event::update);
  CHECK(done->changes[0].previous_content == "User prefers coffee");
  CHECK(done->changes[1].event == mb::change_event::none);
  const auto failed =
      platform->read_event(parse(R"({"id":"e","status":"FAILED","error":"LLM timeout"})"));
  CHECK(failed->status == mb::event_answer::state::failed);
  CHECK(failed->error == "LLM timeout");
  CHECK_FALSE(platform->read_event(parse(R"({"id":"e","status":"LOST"})")).ok());

  // POST /v3/memories/: the paginated envelope.
  const auto page = platform->read_page(
      parse(R"({"count":123,"next":"https://api.mem0.ai/v3/memories/?page=2&page_size=50",
                "previous":null,"results":[{"id":"m","memory":"x","metadata":{},
                "categories":["location"],"created_at":"2026-01-15T10:30:00Z",
                "updated_at":"2026-01-15T10:30:00Z","user_id":"alice"}]})"),
      {.page = 1, .page_size = 50});
  REQUIRE(page.ok());
  CHECK(page->has_more);
  CHECK(page->memories.size() == 1);
  CHECK_FALSE(
      platform->read_page(parse(R"({"count":1,"next":null,"previous":null,"results":[]})"), {})
          ->has_more);

  // DELETE /v1/memories/ queues the deletion.
  const auto forget = platform->read_forget(
      parse(R"({"message":"Delete in progress. This may take some time.","event_id":"e9"})"));
  CHECK(forget->event_id == "e9");
}

TEST_CASE("memory_bank tags: categories, creation time and the request", "[memory_bank][tags]") {
  CHECK(mb::category_tag("Food") == "gpt_adapter_category_food");
  CHECK(mb::category_tag("food") == mb::category_tag("FOOD"));
  CHECK(mb::category_tag("a.b") == "gpt_adapter_category_a_2eb");
  CHECK(mb::category_tag("a_b") != mb::category_tag("a b"));
  const auto tags = mb::creation_tags(
      {.request_id = "r1", .enqueued_at = at("2026-01-01T00:00:01.900Z")}, {"Food"});
  CHECK(tags == parse(R"({"gpt_adapter_request_id":"r1","gpt_adapter_created_at":1767225601,
                          "gpt_adapter_category_food":true})")
                    .as_object());
  CHECK(mb::without_tags(json::object{{"a", 1}, {"gpt_adapter_request_id", "r"}}) ==
        json::object{{"a", 1}});

  mb::memory tagged{.memory_id = "m", .content = "x", .metadata = tags};
  CHECK(mb::matches(tagged, {.categories = {"food"}}));
  CHECK(mb::matches(tagged, {.categories = {"travel", "FOOD"}}));
  CHECK_FALSE(mb::matches(tagged, {.categories = {"travel"}}));
  CHECK(mb::matches(tagged, {.created_after = at("2026-01-01T00:00:01Z"),
                             .created_before = at("2026-01-01T00:00:01Z")}));
  CHECK_FALSE(mb::matches(tagged, {.created_after = at("2026-01-01T00:00:02Z")}));
  // A memory stored by another client has no tags: its created_at decides the dates.
  mb::memory foreign{.memory_id = "m", .content = "x", .created_at = "2026-03-01T10:00:00+00:00"};
  CHECK(mb::matches(foreign, {.created_after = at("2026-02-01T00:00:00Z")}));
  CHECK_FALSE(mb::matches(foreign, {.created_before = at("2026-02-01T00:00:00Z")}));
  CHECK_FALSE(mb::matches(foreign, {.categories = {"food"}}));
}

TEST_CASE("memory_bank ids and owners: what may be sent to mem0", "[memory_bank][dialect]") {
  CHECK(mb::is_memory_id("2c4d1f44-4f7b-4b2f-9f6e-7b5b4f5a1234"));
  CHECK_FALSE(mb::is_memory_id("1"));
  CHECK_FALSE(mb::is_memory_id("../memories"));
  CHECK(mb::is_sendable_entity_id("7b2f0f4e-0000-4000-8000-000000000000"));
  CHECK(mb::is_sendable_entity_id("app:7b2f0f4e"));
  // The Platform's delete-all reads "*" as every user.
  CHECK_FALSE(mb::is_sendable_entity_id("*"));
  CHECK_FALSE(mb::is_sendable_entity_id(""));
  CHECK_FALSE(mb::is_sendable_entity_id("a b"));
}
