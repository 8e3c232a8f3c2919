#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "tools/memory-bank-dev/oss_filters.hpp"
#include "tools/memory-bank-dev/platform_filters.hpp"

// The dev Memory Bank's filter grammars, against what mem0's code does with the same filters:
// Memory._process_metadata_filters and pgvector's _build_filter_conditions for the open-source
// server, docs/platform/features/v2-memory-filters.mdx for the Platform.
namespace dev = gpt_adapter::memory_bank_dev;
namespace json = boost::json;

namespace {

json::object object(std::string_view text) {
  return json::parse(text).as_object();
}

bool oss_match(std::string_view filters, std::string_view payload) {
  const auto predicate = dev::compile_oss_filters(object(filters));
  REQUIRE(predicate.ok());
  return predicate.value()(object(payload));
}

std::string oss_refusal(std::string_view filters) {
  const auto predicate = dev::compile_oss_filters(object(filters));
  REQUIRE_FALSE(predicate.ok());
  return predicate.error().detail;
}

dev::stored_memory memory_of(std::string user, json::object metadata) {
  return {.id = "2c4d1f44-4f7b-4b2f-9f6e-7b5b4f5a1234",
          .text = "tea with lemon",
          .metadata = std::move(metadata),
          .owner = {.user_id = std::move(user)},
          .created_at = "2026-01-15T10:30:00.000Z",
          .updated_at = "2026-01-15T10:30:00.000Z"};
}

}  // namespace

TEST_CASE("dev filters (mem0-oss): pgvector compares payload->>key text",
          "[memory_bank_dev][filters]") {
  const auto payload = R"({"user_id":"alice","kind":"drink","n":5,"flag":true,
                           "categories":["food","drink"]})";
  CHECK(oss_match(R"({"user_id":"alice"})", payload));
  CHECK_FALSE(oss_match(R"({"user_id":"bob"})", payload));
  CHECK(oss_match(R"({"n":{"gte":5,"lt":6}})", payload));
  CHECK(oss_match(R"({"n":5})", payload));  // str(5) == '5'
  CHECK(oss_match(R"({"flag":true})", payload));
  // In an operator the value is str()'d: Python's 'True' is not jsonb's 'true'.
  CHECK_FALSE(oss_match(R"({"flag":{"eq":true}})", payload));
  CHECK(oss_match(R"({"kind":{"in":["drink","snack"]}})", payload));
  CHECK(oss_match(R"({"kind":{"icontains":"DRI"}})", payload));
  CHECK(oss_match(R"({"OR":[{"kind":"snack"},{"n":5}]})", payload));
  CHECK_FALSE(oss_match(R"({"NOT":[{"kind":"drink"}]})", payload));
  CHECK(oss_match(R"({"kind":"*"})", payload));
  CHECK_FALSE(oss_match(R"({"missing":"*"})", payload));
  // The list is its jsonb text, '["food", "drink"]': no element is ever equal to it.
  CHECK_FALSE(oss_match(R"({"categories":{"in":["food"]}})", payload));
  CHECK(oss_match(R"({"categories":{"contains":"\"food\""}})", payload));
  const auto stored = object(payload);  // named: .at() of a temporary is an rvalue
  CHECK(*dev::jsonb_text(&stored.at("categories")) == R"(["food", "drink"])");
  // A missing key is NULL: no comparison holds, not even nin.
  CHECK_FALSE(oss_match(R"({"missing":{"nin":["x"]}})", payload));
}

TEST_CASE("dev filters (mem0-oss): what mem0 refuses with a 400", "[memory_bank_dev][filters]") {
  CHECK(oss_refusal(R"({"user_id":"a","date_range":{"start":"2026-01-01"}})") ==
        "Unsupported filter operator: start");
  CHECK(oss_refusal(R"({"user_id":"a","x":{"eq":1,"like":2}})") ==
        "Unsupported metadata filter operator: like");
  CHECK_THAT(oss_refusal(R"({"created_at":{"gte":"2026-01-01T00:00:00Z"}})"),
             Catch::StartsWith("could not convert string to float"));
  CHECK_THAT(oss_refusal(R"({"x":{"in":"a"}})"), Catch::Contains("requires a list value"));
  CHECK(oss_refusal(R"({"AND":{"x":1}})") == "AND operator requires a list of conditions");
  CHECK_THAT(oss_refusal(R"({"OR":[]})"), Catch::Contains("non-empty list"));
  // A numeric comparison with a payload value that is not a number fails in PostgreSQL.
  const auto numeric = dev::compile_oss_filters(object(R"({"kind":{"gt":1}})"));
  REQUIRE(numeric.ok());
  CHECK_THROWS_AS(numeric.value()(object(R"({"kind":"drink"})")), dev::store_failure);
}

TEST_CASE("dev filters (mem0-platform): the documented grammar, and nothing else",
          "[memory_bank_dev][filters]") {
  const auto compile = [](std::string_view filters, dev::filter_use use = dev::filter_use::search) {
    return dev::compile_platform_filters(object(filters), use);
  };
  const auto alice = memory_of("alice", object(R"({"tag":"a","gpt_adapter_category_x":true})"));
  const auto bob = memory_of("bob", {});

  auto filter = compile(R"({"AND":[{"user_id":"alice"},{"metadata":{"tag":"a"}}]})");
  REQUIRE(filter.ok());
  CHECK(filter.value()(alice));
  CHECK_FALSE(filter.value()(bob));
  filter = compile(R"({"user_id":"alice","OR":[{"metadata":{"gpt_adapter_category_x":true}},
                                             {"metadata":{"tag":"zzz"}}]})");
  REQUIRE(filter.ok());
  CHECK(filter.value()(alice));
  filter = compile(R"({"AND":[{"user_id":"alice"},{"created_at":{"gte":"2026-01-15"}},
                              {"created_at":{"lte":"2026-01-15T10:30:00Z"}}]})");
  REQUIRE(filter.ok());
  CHECK(filter.value()(alice));
  filter = compile(R"({"user_id":"*"})");
  REQUIRE(filter.ok());
  CHECK(filter.value()(bob));

  const auto refused = [&](std::string_view filters, int status = 400) {
    const auto result = compile(filters);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().status == status);
    return result.error().error;
  };
  CHECK_THAT(refused(R"({"user_id":"a","bogus_key":"z"})"),
             Catch::StartsWith("Top-level key must be a logical operator or an allowed field"));
  CHECK_THAT(refused(R"({"user_id":"a","metadata":{"tag":{"in":["a"]}}})"),
             Catch::Contains("FilterValidationError"));
  CHECK_THAT(refused(R"({"user_id":"a","created_at":{"eq":"2026-01-01"}})"),
             Catch::Contains("bare value"));
  refused(R"({"user_id":"a","categories":{"nin":["x"]}})");
  refused(R"({"user_id":"a","categories":{"eq":"x"}})");
  refused(R"({"user_id":"a","created_at":{"gte":"yesterday"}})");
  CHECK_THAT(refused(R"({"user_id":{"ne":"bob"}})"), Catch::Contains("positively scoped"));
  CHECK_THAT(refused(R"({"OR":[{"user_id":"a"},{"user_id":"b"}]})"),
             Catch::Contains("positively scoped"));
  refused(R"({"user_id":"a","keywords":{"contains":"tea"}})", 500);
  CHECK(compile(R"({"user_id":"a","keywords":{"contains":"tea"}})", dev::filter_use::list).ok());
  refused("{}");
}
