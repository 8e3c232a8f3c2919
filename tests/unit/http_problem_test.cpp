#include <set>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/http/problem.hpp"
#include "common/http/request_id.hpp"

using namespace gpt_adapter::http;
namespace bhttp = boost::beast::http;

TEST_CASE("problem responses follow RFC 9457", "[http][problem]") {
  problem details{.status = bhttp::status::unprocessable_entity,
                  .type = "https://example.test/problems/validation",
                  .detail = "query is required",
                  .headers = {{"Retry-After", "5"}}};
  details.extensions["errors"] = boost::json::array{{{"field", "query"}}};
  const auto answer = make_problem_response(details, "/api/v1/search", "req-1", 11);

  CHECK(answer.result() == bhttp::status::unprocessable_entity);
  CHECK(answer[bhttp::field::content_type] == "application/problem+json");
  CHECK(answer["Retry-After"] == "5");
  const auto body = boost::json::parse(answer.body()).as_object();
  CHECK(body.at("type").as_string() == "https://example.test/problems/validation");
  CHECK(body.at("title").as_string() == "Unprocessable Entity");
  CHECK(body.at("status").as_int64() == 422);
  CHECK(body.at("detail").as_string() == "query is required");
  CHECK(body.at("instance").as_string() == "/api/v1/search");
  CHECK(body.at("request_id").as_string() == "req-1");
  CHECK(body.at("errors").as_array().size() == 1);
  CHECK(answer[bhttp::field::content_length] == std::to_string(answer.body().size()));
}

TEST_CASE("problem without a type is about:blank with the status phrase", "[http][problem]") {
  const auto answer = make_problem_response({.status = bhttp::status::not_found}, "/x", "r", 11);
  const auto body = boost::json::parse(answer.body()).as_object();
  CHECK(body.at("type").as_string() == "about:blank");
  CHECK(body.at("title").as_string() == "Not Found");
  CHECK(!body.contains("detail"));
}

TEST_CASE("request ids from callers are kept only when safe", "[http][request_id]") {
  CHECK(is_acceptable_request_id("abc-123_x.y:z"));
  CHECK(is_acceptable_request_id(std::string(128, 'a')));
  CHECK_FALSE(is_acceptable_request_id(""));
  CHECK_FALSE(is_acceptable_request_id(std::string(129, 'a')));
  CHECK_FALSE(is_acceptable_request_id("has space"));
  CHECK_FALSE(is_acceptable_request_id("new\nline"));
  CHECK_FALSE(is_acceptable_request_id("quote\""));
}

TEST_CASE("generated request ids are distinct UUID v4", "[http][request_id]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = generate_request_id();
    REQUIRE(id.size() == 36);
    CHECK(id[8] == '-');
    CHECK(id[14] == '4');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    CHECK(is_acceptable_request_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}
