#include <boost/asio/awaitable.hpp>
#include <catch2/catch.hpp>

#include "common/http/router.hpp"

using namespace gpt_adapter::http;

namespace {

handler nothing() {
  return [](request_context&) -> boost::asio::awaitable<response> { co_return response{}; };
}

}  // namespace

TEST_CASE("router finds exact routes by method", "[http][router]") {
  router routes;
  routes.add(verb::get, "/health", nothing());
  routes.add(verb::get, "/health/ready", nothing());

  const auto found = routes.find(verb::get, "/health");
  REQUIRE(found.found != nullptr);
  CHECK(found.found->pattern == "/health");
  CHECK(routes.find(verb::get, "/health/ready").found->pattern == "/health/ready");
  CHECK(routes.find(verb::get, "/healthz").found == nullptr);
  CHECK(routes.find(verb::get, "/healthz").allowed.empty());
}

TEST_CASE("router tells a wrong method from an unknown path", "[http][router]") {
  router routes;
  routes.add(verb::get, "/api/v1/memories", nothing());
  routes.add(verb::post, "/api/v1/memories", nothing());
  routes.add(verb::delete_, "/api/v1/memories/{memory_id}", nothing());

  const auto wrong_method = routes.find(verb::put, "/api/v1/memories");
  CHECK(wrong_method.found == nullptr);
  CHECK(wrong_method.allowed == std::vector<verb>{verb::get, verb::post});

  const auto wrong_method_on_pattern = routes.find(verb::get, "/api/v1/memories/abc");
  CHECK(wrong_method_on_pattern.found == nullptr);
  CHECK(wrong_method_on_pattern.allowed == std::vector<verb>{verb::delete_});
}

TEST_CASE("router extracts path parameters", "[http][router]") {
  router routes;
  routes.add(verb::get, "/api/v1/jobs/{request_id}", nothing());
  routes.add(verb::get, "/api/v1/jobs/{request_id}/events", nothing());

  auto match = routes.find(verb::get, "/api/v1/jobs/42-abc");
  REQUIRE(match.found != nullptr);
  CHECK(match.found->pattern == "/api/v1/jobs/{request_id}");
  REQUIRE(match.path_params.size() == 1);
  CHECK(match.path_params[0] == std::pair<std::string, std::string>{"request_id", "42-abc"});

  match = routes.find(verb::get, "/api/v1/jobs/7/events");
  REQUIRE(match.found != nullptr);
  CHECK(match.found->pattern == "/api/v1/jobs/{request_id}/events");
  CHECK(routes.find(verb::get, "/api/v1/jobs").found == nullptr);
  CHECK(routes.find(verb::get, "/api/v1/jobs/1/2/3").found == nullptr);
}

TEST_CASE("router refuses a route registered twice", "[http][router]") {
  router routes;
  routes.add(verb::get, "/x", nothing());
  CHECK_THROWS_AS(routes.add(verb::get, "/x", nothing()), std::invalid_argument);
  CHECK_NOTHROW(routes.add(verb::post, "/x", nothing()));
}
