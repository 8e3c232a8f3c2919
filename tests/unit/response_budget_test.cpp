#include "api/memory/response_budget.hpp"

#include <string>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "api/memory/memory_requests.hpp"

namespace memory = gpt_adapter::api::memory;
namespace json = boost::json;

namespace {

json::object memory_with(std::string content) {
  return {{"memory_id", "m"}, {"content", std::move(content)}, {"metadata", json::object{}}};
}

}  // namespace

TEST_CASE("shorten cuts on a character boundary and marks the cut", "[response_budget]") {
  CHECK(memory::shorten("short", 10) == "short");
  CHECK(memory::shorten("exactly10!", 10) == "exactly10!");
  CHECK(memory::shorten("abcdefghijk", 5) == "abcd\xe2\x80\xa6");
  // Four two-byte characters cut to three: two kept, then the ellipsis.
  CHECK(memory::shorten("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
  CHECK(memory::count_code_points(memory::shorten(std::string(50, 'x'), 7)) == 7);
}

TEST_CASE("results that fit are returned as they are", "[response_budget]") {
  json::array results{memory_with("one"), memory_with("two")};
  const auto fitted = memory::fit_results(results);
  CHECK_FALSE(fitted.truncated);
  CHECK(fitted.results == results);
}

TEST_CASE("long contents are shortened and the answer says so", "[response_budget]") {
  json::array results{memory_with(std::string(memory::max_answer_content_chars + 5, 'c'))};
  const auto fitted = memory::fit_results(results);
  CHECK(fitted.truncated);
  REQUIRE(fitted.results.size() == 1);
  CHECK(memory::count_code_points(fitted.results[0].at("content").as_string()) ==
        memory::max_answer_content_chars);
}

TEST_CASE("results beyond the budget are left out, in order, and the answer says so",
          "[response_budget]") {
  json::array results;
  for (int i = 0; i < 50; ++i) {
    results.push_back(memory_with(std::to_string(i) + std::string(5000, 'x')));
  }
  const auto fitted = memory::fit_results(results);
  CHECK(fitted.truncated);
  CHECK(fitted.results.size() < results.size());
  CHECK(fitted.results.size() > 10);
  CHECK(json::serialize(fitted.results).size() <=
        memory::max_answer_chars - memory::answer_envelope_chars);
  CHECK(fitted.results[0].at("content").as_string().starts_with("0x"));
  CHECK(fitted.results.back() == results[fitted.results.size() - 1]);

  const auto tight = memory::fit_results(results, 10);
  CHECK(tight.results.empty());
  CHECK(tight.truncated);
}
