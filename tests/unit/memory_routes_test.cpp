#include <map>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/memory/document_routes.hpp"
#include "api/memory/idempotency.hpp"
#include "api/memory/memory_api_docs.hpp"
#include "api/memory/memory_settings.hpp"
#include "common/config/env_reader.hpp"

using Catch::Matchers::Contains;
using namespace gpt_adapter;
using namespace gpt_adapter::api::memory;
namespace json = boost::json;

namespace {

config::env_reader env(std::map<std::string, std::string> values) {
  return config::env_reader(config::env_source::from_map(std::move(values)));
}

std::vector<api::request_auth::route_requirement> served(
    const std::vector<api::openapi::operation_doc>& operations) {
  std::vector<api::request_auth::route_requirement> routes;
  for (const auto& operation : operations) {
    routes.push_back({operation.method, operation.path, operation.required_scope});
  }
  return routes;
}

}  // namespace

TEST_CASE("memory settings: defaults, and a search wait that ChatGPT would not survive",
          "[memory_api]") {
  const auto defaults = read_memory_settings(env({}));
  CHECK(defaults.search_wait == std::chrono::seconds(10));
  CHECK(defaults.record_ttl == std::chrono::hours(24));
  CHECK(defaults.idempotency_ttl == std::chrono::hours(24));
  CHECK(defaults.circuit_retry_after == std::chrono::seconds(60));
  const auto set = read_memory_settings(
      env({{"SEARCH_WAIT_TIMEOUT_MS", "2500"}, {"MEMORY_BANK_BREAKER_OPEN_MS", "30000"}}));
  CHECK(set.search_wait == std::chrono::milliseconds(2500));
  CHECK(set.circuit_retry_after == std::chrono::seconds(30));
  CHECK_THROWS_WITH(read_memory_settings(env({{"SEARCH_WAIT_TIMEOUT_MS", "45000"}})),
                    Contains("SEARCH_WAIT_TIMEOUT_MS"));
  CHECK_THROWS_AS(read_memory_settings(env({{"SEARCH_WAIT_TIMEOUT_MS", "0"}})),
                  config::config_error);
  CHECK_THROWS_AS(read_memory_settings(env({{"SEARCH_WAIT_TIMEOUT_MS", "ten"}})),
                  config::config_error);
}

TEST_CASE("idempotency: keys scoped per application and end user, values and fingerprints",
          "[memory_api]") {
  const std::string app = "6f1c1c9a-3f0e-4d7b-9a39-1f1d2b8e7c01";
  const auto alice = idempotency_redis_key(app, std::string("alice"), "k-1");
  CHECK(alice.starts_with("{gpt-adapter}:idempotency:" + app + ":alice:"));
  CHECK(alice.find("k-1") == std::string::npos);
  CHECK(alice != idempotency_redis_key(app, std::string("bob"), "k-1"));
  CHECK(alice != idempotency_redis_key(app, std::nullopt, "k-1"));
  CHECK(alice != idempotency_redis_key(app, std::string("alice"), "k-2"));
  CHECK(alice != idempotency_redis_key("another-app", std::string("alice"), "k-1"));
  CHECK(alice == idempotency_redis_key(app, std::string("alice"), "k-1"));

  const remembered_request value{"req-1", body_fingerprint({{"content", "tea"}})};
  CHECK(decode_remembered(encode_remembered(value)) == value);
  CHECK_FALSE(decode_remembered("no-separator").has_value());
  CHECK_FALSE(decode_remembered(" fingerprint").has_value());
  CHECK_FALSE(decode_remembered("req-1 ").has_value());

  CHECK(body_fingerprint({{"content", "tea"}}) == body_fingerprint({{"content", "tea"}}));
  CHECK(body_fingerprint({{"content", "tea"}}) != body_fingerprint({{"content", "coffee"}}));
  CHECK(body_fingerprint({{"content", "tea"}}).size() == 64);
}

TEST_CASE("documentation drift: every documented operation served with its scope, and back",
          "[memory_api]") {
  const auto& operations = api_operations();
  auto routes = served(operations);
  CHECK(documentation_drift(operations, routes).empty());

  auto missing = routes;
  missing.pop_back();
  const auto not_served = documentation_drift(operations, missing);
  REQUIRE(not_served.size() == 1);
  CHECK_THAT(not_served.front(), Contains("documented but not served"));

  auto rescoped = routes;
  rescoped.front().required_scope = "memories:write";
  const auto scope = documentation_drift(operations, rescoped);
  REQUIRE(scope.size() == 1);
  CHECK_THAT(scope.front(), Contains("POST /api/v1/search") && Contains("memories:read"));

  auto extra = routes;
  extra.push_back({http::verb::post, "/api/v1/reset", std::string("memories:write")});
  const auto undocumented = documentation_drift(operations, extra);
  REQUIRE(undocumented.size() == 1);
  CHECK_THAT(undocumented.front(), Contains("POST /api/v1/reset is served but not documented"));
}

TEST_CASE("docs page: the document rendered as escaped HTML without scripts", "[memory_api]") {
  auto settings = api_document_settings("https://gpt.example.com", "1.2.3");
  settings.description += " <script>alert(1)</script>";
  const auto page = render_docs_page(api::openapi::build_document(settings, api_operations()));
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(page.find("<script") == std::string::npos);
  CHECK_THAT(page, Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(page, Contains("https://gpt.example.com/oauth/authorize"));
  CHECK_THAT(page, Contains("<code>/api/v1/memories/{memory_id}</code>"));
  CHECK_THAT(page, Contains("with scope <code>memories:write</code>"));
  for (const auto& operation : api_operations()) {
    CHECK_THAT(page, Contains("id=\"" + operation.operation_id + "\""));
  }
  CHECK_THAT(page, Contains("id=\"schema-SearchRequest\""));
}
