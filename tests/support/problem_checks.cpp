#include "tests/support/problem_checks.hpp"

#include <catch2/catch.hpp>

namespace gpt_adapter::testing {

boost::json::object check_problem(const http_reply& reply, int status) {
  CHECK(reply.status == status);
  CHECK(reply.header("content-type") == "application/problem+json");
  auto body = reply.json().as_object();
  CHECK(body.at("status").as_int64() == status);
  CHECK(body.at("request_id").as_string() == reply.header("x-request-id"));
  return body;
}

void check_invalid_token(const http_reply& reply, const std::string& token) {
  check_problem(reply, 401);
  CHECK_THAT(reply.header("www-authenticate"),
             Catch::Matchers::Contains("Bearer realm=\"gpt-adapter\"") &&
                 Catch::Matchers::Contains("error=\"invalid_token\"") &&
                 Catch::Matchers::Contains("error_description=\""));
  CHECK(reply.body.find(token) == std::string::npos);
}

std::set<std::string> error_pointers(const boost::json::object& problem) {
  std::set<std::string> found;
  for (const auto& error : problem.at("errors").as_array()) {
    found.emplace(error.at("pointer").as_string());
    CHECK_FALSE(error.at("detail").as_string().empty());
  }
  return found;
}

}  // namespace gpt_adapter::testing
