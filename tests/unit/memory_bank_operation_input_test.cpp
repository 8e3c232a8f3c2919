#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/memory_bank/operation_input.hpp"
#include "common/text/rfc3339.hpp"

namespace mb = gpt_adapter::memory_bank;
using gpt_adapter::queue::operation;

namespace {

boost::json::object json_object(std::string_view text) {
  return boost::json::parse(text).as_object();
}

template <typename Input>
Input parsed(operation op, std::string_view payload) {
  const auto input = mb::parse_operation_input(op, json_object(payload));
  if (!input.ok()) {
    FAIL("parse_operation_input failed: " << input.error().message);
  }
  REQUIRE(std::holds_alternative<Input>(input.value()));
  return std::get<Input>(input.value());
}

std::string rejection(operation op, std::string_view payload) {
  const auto input = mb::parse_operation_input(op, json_object(payload));
  REQUIRE_FALSE(input.ok());
  CHECK(input.error().kind == mb::error_kind::invalid_input);
  return input.error().message;
}

}  // namespace

TEST_CASE("memory_bank operation_input: search reads query, limit and the GPT-facing filters",
          "[memory_bank][operation_input]") {
  const auto full = parsed<mb::search_input>(
      operation::search,
      R"({"query":"tea","limit":5,"filters":{"categories":["food","travel"],
          "date_range":{"start":"2026-01-01T00:00:00Z","end":"2026-01-31T23:59:59.999+01:00"}}})");
  CHECK(full.query == "tea");
  CHECK(full.limit == 5);
  CHECK(full.filter.categories == std::vector<std::string>{"food", "travel"});
  REQUIRE(full.filter.created_after.has_value());
  CHECK(*full.filter.created_after == *gpt_adapter::text::parse_rfc3339("2026-01-01T00:00:00Z"));
  CHECK(*full.filter.created_before ==
        *gpt_adapter::text::parse_rfc3339("2026-01-31T22:59:59.999Z"));
  const auto defaults = parsed<mb::search_input>(operation::search, R"({"query":"tea"})");
  CHECK(defaults.limit == 10);
  CHECK(defaults.filter.empty());
}

TEST_CASE("memory_bank operation_input: create keeps categories and priority in the metadata",
          "[memory_bank][operation_input]") {
  const auto input = parsed<mb::create_input>(
      operation::create,
      R"({"content":"likes tea","metadata":{"source":"chat"},"categories":["food"],"priority":"high"})");
  CHECK(input.content == "likes tea");
  CHECK(input.metadata ==
        json_object(R"({"source":"chat","categories":["food"],"priority":"high"})"));
  CHECK(input.categories == std::vector<std::string>{"food"});
  CHECK(input.infer);
  CHECK_FALSE(
      parsed<mb::create_input>(operation::create, R"({"content":"x","infer":false})").infer);
}

TEST_CASE("memory_bank operation_input: get, update, delete and list read their fields",
          "[memory_bank][operation_input]") {
  CHECK(parsed<mb::get_input>(operation::get, R"({"memory_id":"m-1"})").memory_id == "m-1");
  CHECK(parsed<mb::delete_input>(operation::remove, R"({"memory_id":"m-2"})").memory_id == "m-2");
  const auto update = parsed<mb::update_input>(
      operation::update, R"({"memory_id":"m-3","content":"x","metadata":{"k":1}})");
  CHECK(update.memory_id == "m-3");
  CHECK(update.content == "x");
  CHECK(update.metadata == json_object(R"({"k":1})"));
  const auto list = parsed<mb::list_input>(operation::list, R"({"page":2,"page_size":20})");
  CHECK(list.page == 2);
  CHECK(list.page_size == 20);
  const auto list_defaults = parsed<mb::list_input>(operation::list, "{}");
  CHECK(list_defaults.page == 1);
  CHECK(list_defaults.page_size == 50);
  CHECK(parsed<mb::history_input>(operation::history, R"({"memory_id":"m-4"})").memory_id == "m-4");
  CHECK(std::holds_alternative<mb::forget_input>(
      mb::parse_operation_input(operation::forget, json_object("{}")).value()));
}

TEST_CASE("memory_bank operation_input: bad payloads name the field",
          "[memory_bank][operation_input]") {
  const std::vector<std::tuple<operation, std::string_view, std::string_view>> cases{
      {operation::search, R"({})", "query"},
      {operation::search, R"({"query":""})", "query"},
      {operation::search, R"({"query":7})", "query"},
      {operation::search, R"({"query":"t","limit":"5"})", "limit"},
      {operation::search, R"({"query":"t","limit":-1})", "limit"},
      {operation::search, R"({"query":"t","limit":1.5})", "limit"},
      {operation::search, R"({"query":"t","filters":[]})", "filters"},
      {operation::search, R"({"query":"t","filters":{"user_id":"mallory"}})", "filters.user_id"},
      {operation::search, R"({"query":"t","filters":{"categories":"food"}})", "categories"},
      {operation::search, R"({"query":"t","filters":{"date_range":{"start":"yesterday"}}})",
       "filters.date_range.start"},
      {operation::create, R"({"content":"x","infer":"no"})", "infer"},
      {operation::history, R"({})", "memory_id"},
      {operation::create, R"({"metadata":{}})", "content"},
      {operation::create, R"({"content":"x","metadata":"m"})", "metadata"},
      {operation::create, R"({"content":"x","categories":"food"})", "categories"},
      {operation::create, R"({"content":"x","categories":[1]})", "categories"},
      {operation::create, R"({"content":"x","priority":{}})", "priority"},
      {operation::get, R"({})", "memory_id"},
      {operation::get, R"({"memory_id":12})", "memory_id"},
      {operation::remove, R"({"memory_id":""})", "memory_id"},
      {operation::update, R"({"content":"x"})", "memory_id"},
      {operation::update, R"({"memory_id":"m"})", "content"},
      {operation::list, R"({"page":"2"})", "page"},
      {operation::list, R"({"page_size":true})", "page_size"},
  };
  for (const auto& [op, payload, field] : cases) {
    INFO(gpt_adapter::queue::to_string(op) << " " << payload);
    CHECK(rejection(op, payload).find("'" + std::string(field) + "'") != std::string::npos);
  }
}
