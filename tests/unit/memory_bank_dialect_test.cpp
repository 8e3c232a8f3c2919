#include <string>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/memory_bank/dialect.hpp"

namespace mb = gpt_adapter::memory_bank;
using boost::beast::http::verb;

namespace {

const mb::owner alice{"alice", "custom-gpt-1"};

mb::http_request build(mb::dialect shape, const mb::operation_input& input,
                       const mb::owner& who = alice) {
  auto request = mb::build_request(shape, who, input);
  if (!request.ok()) {
    FAIL("build_request failed: " << request.error().message);
  }
  return std::move(request).value();
}

boost::json::object json_object(std::string_view text) {
  return boost::json::parse(text).as_object();
}

// Caller-supplied objects that try to reach another user's namespace.
const boost::json::object hostile_filters = json_object(
    R"({"user_id":"mallory","agent_id":"a","run_id":"r","app_id":"x","category":"food",)"
    R"("AND":[{"user_id":"mallory"},{"category":"food"}]})");
const boost::json::object hostile_metadata =
    json_object(R"({"user_id":"mallory","run_id":"r","source":"chat"})");

const mb::dialect all_dialects[] = {mb::dialect::mem0_platform, mb::dialect::mem0_oss,
                                    mb::dialect::openmemory};

}  // namespace

TEST_CASE("memory_bank dialect: names parse and print", "[memory_bank][dialect]") {
  CHECK(mb::parse_dialect("mem0-platform") == mb::dialect::mem0_platform);
  CHECK(mb::parse_dialect("mem0-oss") == mb::dialect::mem0_oss);
  CHECK(mb::parse_dialect("openmemory") == mb::dialect::openmemory);
  for (const auto shape : all_dialects) {
    CHECK(mb::parse_dialect(mb::to_string(shape)) == shape);
  }
  CHECK_FALSE(mb::parse_dialect("mem0").has_value());
  CHECK_FALSE(mb::parse_dialect("OpenMemory").has_value());
  CHECK_FALSE(mb::parse_dialect("").has_value());
}

TEST_CASE("memory_bank dialect: mem0 platform requests", "[memory_bank][dialect]") {
  const auto shape = mb::dialect::mem0_platform;

  const auto search =
      build(shape, mb::search_input{"tea", 5, json_object(R"({"category":"food"})")});
  CHECK(search.method == verb::post);
  CHECK(search.target == "/v1/memories/search/");
  REQUIRE(search.body);
  CHECK(
      *search.body ==
      json_object(R"({"query":"tea","user_id":"alice","top_k":5,"filters":{"category":"food"}})"));

  const auto create = build(shape, mb::create_input{"likes tea", json_object(R"({"n":1})")});
  CHECK(create.method == verb::post);
  CHECK(create.target == "/v1/memories/");
  REQUIRE(create.body);
  CHECK(
      *create.body ==
      json_object(
          R"({"messages":[{"role":"user","content":"likes tea"}],"user_id":"alice","metadata":{"n":1}})"));

  const auto get = build(shape, mb::get_input{"m-1"});
  CHECK(get.method == verb::get);
  CHECK(get.target == "/v1/memories/m-1/");
  CHECK_FALSE(get.body);

  const auto list = build(shape, mb::list_input{2, 20});
  CHECK(list.method == verb::get);
  CHECK(list.target == "/v1/memories/?user_id=alice&page=2&page_size=20");
  CHECK_FALSE(list.body);

  const auto update = build(shape, mb::update_input{"m-1", "likes green tea", {}});
  CHECK(update.method == verb::put);
  CHECK(update.target == "/v1/memories/m-1/");
  REQUIRE(update.body);
  CHECK(*update.body == json_object(R"({"text":"likes green tea","metadata":{}})"));

  const auto remove = build(shape, mb::delete_input{"m-1"});
  CHECK(remove.method == verb::delete_);
  CHECK(remove.target == "/v1/memories/m-1/");
  CHECK_FALSE(remove.body);
}

TEST_CASE("memory_bank dialect: mem0 open-source server requests", "[memory_bank][dialect]") {
  const auto shape = mb::dialect::mem0_oss;

  const auto search = build(shape, mb::search_input{"tea", 3, {}});
  CHECK(search.method == verb::post);
  CHECK(search.target == "/search");
  REQUIRE(search.body);
  CHECK(*search.body == json_object(R"({"query":"tea","user_id":"alice","limit":3})"));

  const auto create = build(shape, mb::create_input{"likes tea", {}});
  CHECK(create.method == verb::post);
  CHECK(create.target == "/memories");
  REQUIRE(create.body);
  CHECK(
      *create.body ==
      json_object(
          R"({"messages":[{"role":"user","content":"likes tea"}],"user_id":"alice","metadata":{}})"));

  const auto get = build(shape, mb::get_input{"m-1"});
  CHECK(get.method == verb::get);
  CHECK(get.target == "/memories/m-1");
  CHECK_FALSE(get.body);

  const auto list = build(shape, mb::list_input{});
  CHECK(list.method == verb::get);
  CHECK(list.target == "/memories?user_id=alice");

  const auto update =
      build(shape, mb::update_input{"m-1", "likes green tea", json_object(R"({"k":"v"})")});
  CHECK(update.method == verb::put);
  CHECK(update.target == "/memories/m-1");
  REQUIRE(update.body);
  CHECK(*update.body == json_object(R"({"text":"likes green tea","metadata":{"k":"v"}})"));

  const auto remove = build(shape, mb::delete_input{"m-1"});
  CHECK(remove.method == verb::delete_);
  CHECK(remove.target == "/memories/m-1");
  CHECK_FALSE(remove.body);
}

TEST_CASE("memory_bank dialect: OpenMemory requests", "[memory_bank][dialect]") {
  const auto shape = mb::dialect::openmemory;

  const auto search = build(shape, mb::search_input{"green tea", 7, {}});
  CHECK(search.method == verb::get);
  CHECK(search.target == "/api/v1/memories/?user_id=alice&search_query=green%20tea&page=1&size=7");
  CHECK_FALSE(search.body);

  const auto create = build(shape, mb::create_input{"likes tea", json_object(R"({"n":1})")});
  CHECK(create.method == verb::post);
  CHECK(create.target == "/api/v1/memories/");
  REQUIRE(create.body);
  CHECK(
      *create.body ==
      json_object(
          R"({"user_id":"alice","text":"likes tea","metadata":{"n":1},"infer":true,"app":"custom-gpt-1"})"));

  const auto get = build(shape, mb::get_input{"m-1"});
  CHECK(get.method == verb::get);
  CHECK(get.target == "/api/v1/memories/m-1");

  const auto list = build(shape, mb::list_input{3, 10});
  CHECK(list.method == verb::get);
  CHECK(list.target == "/api/v1/memories/?user_id=alice&page=3&size=10");

  const auto update = build(shape, mb::update_input{"m-1", "likes green tea", {}});
  CHECK(update.method == verb::put);
  CHECK(update.target == "/api/v1/memories/m-1");
  REQUIRE(update.body);
  CHECK(*update.body == json_object(R"({"memory_content":"likes green tea","user_id":"alice"})"));

  const auto remove = build(shape, mb::delete_input{"m-1"});
  CHECK(remove.method == verb::delete_);
  CHECK(remove.target == "/api/v1/memories/");
  REQUIRE(remove.body);
  CHECK(*remove.body == json_object(R"({"memory_ids":["m-1"],"user_id":"alice"})"));
}

TEST_CASE("memory_bank dialect: ids and user ids are percent-encoded in targets",
          "[memory_bank][dialect]") {
  const mb::owner odd{"a&b=c d", "app"};
  CHECK(build(mb::dialect::mem0_platform, mb::get_input{"../x?y"}).target ==
        "/v1/memories/..%2Fx%3Fy/");
  CHECK(build(mb::dialect::mem0_oss, mb::list_input{}, odd).target ==
        "/memories?user_id=a%26b%3Dc%20d");
  CHECK(build(mb::dialect::openmemory, mb::delete_input{"a/b"}).body->at("memory_ids") ==
        boost::json::parse(R"(["a/b"])"));
}

TEST_CASE("memory_bank dialect: entity ids in caller input never reach the Memory Bank",
          "[memory_bank][dialect]") {
  for (const auto shape : all_dialects) {
    INFO(mb::to_string(shape));
    const auto search = build(shape, mb::search_input{"tea", 10, hostile_filters});
    if (search.body) {
      CHECK(search.body->at("user_id") == "alice");
      const auto& filters = search.body->at("filters").as_object();
      CHECK(filters == json_object(R"({"category":"food","AND":[{},{"category":"food"}]})"));
    } else {
      CHECK(search.target.find("mallory") == std::string::npos);
      CHECK(search.target.find("user_id=alice") != std::string::npos);
    }

    const auto create = build(shape, mb::create_input{"likes tea", hostile_metadata});
    REQUIRE(create.body);
    CHECK(create.body->at("user_id") == "alice");
    CHECK(create.body->at("metadata") == json_object(R"({"source":"chat"})"));
    CHECK_FALSE(create.body->contains("run_id"));
    CHECK_FALSE(create.body->contains("agent_id"));

    const auto update = build(shape, mb::update_input{"m-1", "x", hostile_metadata});
    REQUIRE(update.body);
    if (const auto* metadata = update.body->if_contains("metadata")) {
      CHECK(*metadata == json_object(R"({"source":"chat"})"));
    }
    if (const auto* user = update.body->if_contains("user_id")) {
      CHECK(*user == "alice");
    }
  }
}

TEST_CASE("memory_bank dialect: invalid input is an error value", "[memory_bank][dialect]") {
  const auto rejected = [](const mb::operation_input& input, const mb::owner& who = alice) {
    for (const auto shape : all_dialects) {
      const auto request = mb::build_request(shape, who, input);
      if (request.ok()) {
        return false;
      }
      if (request.error().kind != mb::error_kind::invalid_input) {
        return false;
      }
    }
    return true;
  };
  CHECK(rejected(mb::search_input{"", 10, {}}));
  CHECK(rejected(mb::search_input{"tea", 0, {}}));
  CHECK(rejected(mb::search_input{"tea", mb::max_search_limit + 1, {}}));
  CHECK(rejected(mb::create_input{"", {}}));
  CHECK(rejected(mb::get_input{""}));
  CHECK(rejected(mb::update_input{"", "x", {}}));
  CHECK(rejected(mb::update_input{"m-1", "", {}}));
  CHECK(rejected(mb::delete_input{""}));
  CHECK(rejected(mb::list_input{0, 10}));
  CHECK(rejected(mb::list_input{1, 0}));
  CHECK(rejected(mb::list_input{1, mb::max_page_size + 1}));
  CHECK(rejected(mb::get_input{"m-1"}, mb::owner{"", "app"}));
  CHECK_FALSE(rejected(mb::search_input{"tea", mb::max_search_limit, {}}));
}

TEST_CASE("memory_bank dialect: mem0 open-source search results normalise",
          "[memory_bank][dialect]") {
  const auto body = boost::json::parse(R"({"results":[
    {"id":"m-1","memory":"likes tea","score":0.87,"metadata":{"category":"food"},
     "created_at":"2024-05-01T10:00:00Z","updated_at":null,"user_id":"alice","hash":"h"},
    {"id":"m-2","memory":"lives in Lyon","score":null,"metadata":null}]})");
  const auto memories = mb::parse_memories(body);
  REQUIRE(memories.ok());
  REQUIRE(memories->size() == 2);
  const auto& first = memories.value()[0];
  CHECK(first.memory_id == "m-1");
  CHECK(first.content == "likes tea");
  REQUIRE(first.relevance_score);
  CHECK(*first.relevance_score == Approx(0.87));
  CHECK(first.metadata == json_object(R"({"category":"food"})"));
  CHECK(first.created_at == "2024-05-01T10:00:00Z");
  CHECK(first.user_id == "alice");
  const auto& second = memories.value()[1];
  CHECK(second.memory_id == "m-2");
  CHECK_FALSE(second.relevance_score);
  CHECK(second.metadata.empty());
  CHECK_FALSE(second.created_at);
  CHECK_FALSE(second.user_id);
}

TEST_CASE("memory_bank dialect: mem0 platform answers normalise", "[memory_bank][dialect]") {
  const auto list = mb::parse_memories(boost::json::parse(
      R"([{"id":"p-1","memory":"likes tea","user_id":"alice","score":1,"created_at":"2024-01-01"}])"));
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list.value()[0].memory_id == "p-1");
  CHECK(list.value()[0].relevance_score == 1.0);

  const auto added = mb::parse_memories(
      boost::json::parse(R"([{"id":"p-2","data":{"memory":"likes coffee"},"event":"ADD"}])"));
  REQUIRE(added.ok());
  CHECK(added.value()[0].content == "likes coffee");

  const auto wrapped = mb::parse_memories(boost::json::parse(R"({"results":[]})"));
  REQUIRE(wrapped.ok());
  CHECK(wrapped->empty());
}

TEST_CASE("memory_bank dialect: OpenMemory answers normalise", "[memory_bank][dialect]") {
  const auto page = mb::parse_memories(boost::json::parse(R"({"items":[
    {"id":"o-1","content":"likes tea","created_at":1714557600,"metadata_":{"k":"v"},"app_name":"gpt"},
    {"id":"o-2","text":"lives in Lyon"}],"total":2,"page":1,"size":10,"pages":1})"));
  REQUIRE(page.ok());
  REQUIRE(page->size() == 2);
  CHECK(page.value()[0].content == "likes tea");
  CHECK(page.value()[0].metadata == json_object(R"({"k":"v"})"));
  CHECK_FALSE(page.value()[0].created_at);
  CHECK(page.value()[1].content == "lives in Lyon");

  const auto one =
      mb::parse_memory(boost::json::parse(R"({"id":42,"text":"t","user_id":"alice"})"));
  REQUIRE(one.ok());
  CHECK(one->memory_id == "42");
}

TEST_CASE("memory_bank dialect: malformed bodies are error values", "[memory_bank][dialect]") {
  for (const char* text : {
           R"("just text")",
           R"(null)",
           R"(42)",
           R"({"detail":"not found"})",
           R"({"results":{"id":"m"}})",
           R"({"results":[1]})",
           R"({"results":[{"memory":"no id"}]})",
           R"({"results":[{"id":"","memory":"empty id"}]})",
           R"({"results":[{"id":"m","score":0.5}]})",
           R"({"results":[{"id":"m","memory":"x","score":"high"}]})",
           R"({"results":[{"id":"m","memory":"x","metadata":[1]}]})",
           R"({"items":[{"id":true,"content":"x"}]})",
       }) {
    INFO(text);
    const auto memories = mb::parse_memories(boost::json::parse(text));
    REQUIRE_FALSE(memories.ok());
    CHECK(memories.error().kind == mb::error_kind::malformed_response);
  }
  for (const char* text : {R"([])", R"({"id":"m"})", R"({"memory":"x"})"}) {
    INFO(text);
    const auto memory = mb::parse_memory(boost::json::parse(text));
    REQUIRE_FALSE(memory.ok());
    CHECK(memory.error().kind == mb::error_kind::malformed_response);
  }
}

TEST_CASE("memory_bank dialect: another user's memory is not found", "[memory_bank][dialect]") {
  const auto mine =
      mb::parse_memory(boost::json::parse(R"({"id":"m","memory":"x","user_id":"alice"})"));
  const auto theirs =
      mb::parse_memory(boost::json::parse(R"({"id":"m","memory":"x","user_id":"bob"})"));
  const auto unsaid = mb::parse_memory(boost::json::parse(R"({"id":"m","memory":"x"})"));
  REQUIRE(mine.ok());
  REQUIRE(theirs.ok());
  REQUIRE(unsaid.ok());
  CHECK_FALSE(mb::check_owner(*mine, "alice"));
  const auto refused = mb::check_owner(*theirs, "alice");
  REQUIRE(refused);
  CHECK(refused->kind == mb::error_kind::not_found);
  CHECK(refused->message.find("bob") == std::string::npos);
  CHECK_FALSE(mb::check_owner(*unsaid, "alice"));
}
