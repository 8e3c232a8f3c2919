#include "api/memory/memory_requests.hpp"

#include <string>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

namespace memory = gpt_adapter::api::memory;
namespace json = boost::json;

namespace {

template <typename Result>
std::vector<std::string> pointers_of(const Result& result) {
  REQUIRE_FALSE(result.ok());
  std::vector<std::string> pointers;
  for (const auto& error : result.error())
    pointers.push_back(error.pointer);
  return pointers;
}

using pointers = std::vector<std::string>;

}  // namespace

TEST_CASE("a search request takes defaults and reads every field", "[memory_requests]") {
  const auto minimal = memory::parse_search_request(json::parse(R"({"query":"tea"})"));
  REQUIRE(minimal.ok());
  CHECK(minimal->query == "tea");
  CHECK(minimal->limit == 10);
  CHECK(minimal->categories.empty());
  CHECK_FALSE(minimal->created_after);

  const auto full = memory::parse_search_request(json::parse(R"({
    "query": "what does the user drink", "limit": 50, "unknown_field": true,
    "filters": {"categories": ["food", "habits"],
                "date_range": {"start": "2026-01-01T00:00:00+01:00", "end": "2026-02-01T00:00:00Z"}},
    "context": {"custom_gpt_id": "g-123", "conversation_id": "c-9"}})"));
  REQUIRE(full.ok());
  CHECK(full->limit == 50);
  CHECK(full->categories == std::vector<std::string>{"food", "habits"});
  REQUIRE(full->created_after);
  CHECK(full->created_after->time_since_epoch() ==
        std::chrono::milliseconds(1767222000000));  // 2025-12-31T23:00:00Z
  CHECK(full->context.custom_gpt_id == "g-123");
  CHECK(full->context.conversation_id == "c-9");

  const auto payload = memory::to_job_payload(full.value());
  CHECK(payload.at("limit").as_int64() == 50);
  CHECK(payload.at("filters").at("date_range").at("start").as_string() ==
        "2025-12-31T23:00:00.000Z");
  CHECK(payload.at("filters").at("categories").as_array().size() == 2);
}

TEST_CASE("a search request lists every failing field at once", "[memory_requests]") {
  CHECK(pointers_of(memory::parse_search_request(json::parse("[]"))) == pointers{"#"});
  CHECK(pointers_of(memory::parse_search_request(json::parse("{}"))) == pointers{"#/query"});
  CHECK(pointers_of(memory::parse_search_request(json::parse(R"({"query":""})"))) ==
        pointers{"#/query"});
  CHECK(pointers_of(memory::parse_search_request(json::parse(
            R"({"query": 5, "limit": 51, "filters": {"categories": ["ok", 3],
                "date_range": {"start": "yesterday", "end": 7}}, "context": {"custom_gpt_id": ""}})"))) ==
        pointers{"#/query", "#/limit", "#/filters/categories/1", "#/filters/date_range/start",
                 "#/filters/date_range/end", "#/context/custom_gpt_id"});
  CHECK(
      pointers_of(memory::parse_search_request(json::parse(
          R"({"query":"x","filters":{"date_range":{"start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}})"))) ==
      pointers{"#/filters/date_range"});
  CHECK(pointers_of(memory::parse_search_request(json::parse(R"({"query":"x","limit":2.5})"))) ==
        pointers{"#/limit"});
  CHECK(pointers_of(memory::parse_search_request(json::parse(R"({"query":"x","limit":0})"))) ==
        pointers{"#/limit"});
}

TEST_CASE("text limits count characters, not bytes", "[memory_requests]") {
  std::string accented;
  for (std::size_t i = 0; i < memory::max_query_chars; ++i)
    accented += "\xc3\xa9";  // é
  json::object body{{"query", accented}};
  CHECK(memory::parse_search_request(body).ok());
  body["query"] = accented + "e";
  CHECK(pointers_of(memory::parse_search_request(body)) == pointers{"#/query"});
  CHECK(memory::count_code_points("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 4);
}

TEST_CASE("a create request is checked and becomes the worker's payload", "[memory_requests]") {
  const auto request = memory::parse_create_request(json::parse(R"({
    "content": "The user prefers green tea.", "metadata": {"source": "chat"},
    "categories": ["preferences"], "priority": "high", "idempotency_key": "k-1"})"));
  REQUIRE(request.ok());
  CHECK(request->priority == memory::priority::high);
  CHECK(request->idempotency_key == "k-1");
  const auto payload = memory::to_job_payload(request.value());
  CHECK(payload.at("content").as_string() == "The user prefers green tea.");
  CHECK(payload.at("priority").as_string() == "high");
  CHECK(payload.at("categories").as_array().size() == 1);
  CHECK(payload.at("metadata").at("source").as_string() == "chat");

  CHECK(pointers_of(memory::parse_create_request(json::parse(R"({"content": ""})"))) ==
        pointers{"#/content"});
  CHECK(
      pointers_of(memory::parse_create_request(json::parse(
          R"({"content": "x", "metadata": [], "priority": "urgent", "idempotency_key": "a b"})"))) ==
      pointers{"#/metadata", "#/priority", "#/idempotency_key"});
  json::object too_long{{"content", std::string(memory::max_content_chars + 1, 'x')}};
  CHECK(pointers_of(memory::parse_create_request(too_long)) == pointers{"#/content"});
  json::object big_metadata{{"content", "x"},
                            {"metadata", {{"blob", std::string(memory::max_metadata_bytes, 'y')}}}};
  CHECK(pointers_of(memory::parse_create_request(big_metadata)) == pointers{"#/metadata"});
  json::object many_categories{{"content", "x"}, {"categories", json::array(21, "c")}};
  CHECK(pointers_of(memory::parse_create_request(many_categories)) == pointers{"#/categories"});
}

TEST_CASE("a create request may ask to store the content verbatim", "[memory_requests]") {
  const auto inferred = memory::parse_create_request(json::parse(R"({"content": "x"})"));
  REQUIRE(inferred.ok());
  CHECK(inferred->infer);
  CHECK(memory::to_job_payload(inferred.value()).at("infer") == true);
  const auto verbatim =
      memory::parse_create_request(json::parse(R"({"content": "x", "infer": false})"));
  REQUIRE(verbatim.ok());
  CHECK(memory::to_job_payload(verbatim.value()).at("infer") == false);
  CHECK(pointers_of(memory::parse_create_request(json::parse(R"({"content": "x", "infer": 0})"))) ==
        pointers{"#/infer"});
}

TEST_CASE("metadata keys the adapter tags memories with are reserved", "[memory_requests]") {
  CHECK(pointers_of(memory::parse_create_request(json::parse(
            R"({"content": "x", "metadata": {"ok": 1, "gpt_adapter_request_id": "forged"}})"))) ==
        pointers{"#/metadata/gpt_adapter_request_id"});
  CHECK(pointers_of(memory::parse_update_request(
            "0b6c2f9e-8d1a-4c55-9a43-2f3e1b7d9c10",
            json::parse(R"({"content": "x", "metadata": {"gpt_adapter_category_a/b": true}})"))) ==
        pointers{"#/metadata/gpt_adapter_category_a~1b"});
}

TEST_CASE("the idempotency key comes from the header or the body, not two different ones",
          "[memory_requests]") {
  CHECK(memory::resolve_idempotency_key(std::nullopt, std::nullopt).value() == std::nullopt);
  CHECK(memory::resolve_idempotency_key("h", std::nullopt).value() == "h");
  CHECK(memory::resolve_idempotency_key(std::nullopt, std::string("b")).value() == "b");
  CHECK(memory::resolve_idempotency_key("same", std::string("same")).value() == "same");
  CHECK(pointers_of(memory::resolve_idempotency_key("h", std::string("b"))) ==
        pointers{"#/idempotency_key"});
  CHECK(pointers_of(memory::resolve_idempotency_key("", std::nullopt)) ==
        pointers{"Idempotency-Key"});
  CHECK(pointers_of(memory::resolve_idempotency_key(std::string(256, 'k'), std::nullopt)) ==
        pointers{"Idempotency-Key"});
}

TEST_CASE("update, list and memory ids are checked", "[memory_requests]") {
  const auto update =
      memory::parse_update_request("mem-1", json::parse(R"({"content":"new text"})"));
  REQUIRE(update.ok());
  CHECK(memory::to_job_payload(update.value()).at("memory_id").as_string() == "mem-1");
  CHECK(pointers_of(memory::parse_update_request("bad id", json::parse("{}"))) ==
        pointers{"memory_id", "#/content"});
  CHECK(pointers_of(memory::parse_memory_id("")) == pointers{"memory_id"});
  CHECK(memory::parse_memory_id("0b0f6f52-7c39-4f7e-9a43-3f1b5d8f2a10").ok());

  const auto defaults = memory::parse_list_request(std::nullopt, std::nullopt);
  REQUIRE(defaults.ok());
  CHECK(defaults->limit == 20);
  CHECK(defaults->page == 1);
  const auto next = memory::parse_list_request("5", memory::encode_cursor(3));
  REQUIRE(next.ok());
  CHECK(next->limit == 5);
  CHECK(next->page == 3);
  CHECK(memory::to_job_payload(next.value()).at("page_size").as_int64() == 5);
  CHECK(pointers_of(memory::parse_list_request("0", std::string_view("garbage!"))) ==
        pointers{"limit", "cursor"});
  CHECK(pointers_of(memory::parse_list_request("101", std::nullopt)) == pointers{"limit"});
  CHECK(pointers_of(memory::parse_list_request("5x", std::nullopt)) == pointers{"limit"});
}
