#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/memory/memory_api_docs.hpp"
#include "api/memory/memory_routes.hpp"
#include "api/openapi/openapi_document.hpp"
#include "api/request_auth/me_route.hpp"
#include "api/request_auth/request_authorization.hpp"
#include "common/auth/access_token.hpp"
#include "common/auth/secret_hash.hpp"
#include "common/service/dependencies.hpp"
#include "tests/support/access_tokens.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/openapi_rules.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/redis_commands.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

const std::string issuer = memory_stack_issuer;
const std::string public_base_url = memory_stack_public_base_url;
const auth::access_token_settings token_settings{issuer, issuer};

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

}  // namespace

TEST_CASE("memory API: idempotency keys in the header or the body, per end user",
          "[integration][memory_api]") {
  memory_stack stack({}, false);
  const auto alice_token = stack.token(stack.alice);
  const auto bob_token = stack.token(stack.bob);
  const std::string body = R"({"content":"likes jasmine tea"})";

  const auto first =
      stack.post("/api/v1/memories", alice_token, body, {{"Idempotency-Key", "k-1"}});
  REQUIRE(first.status == 202);
  const auto first_id = text_of(first.json().as_object(), "request_id");
  const auto again =
      stack.post("/api/v1/memories", alice_token, body, {{"Idempotency-Key", "k-1"}});
  REQUIRE(again.status == 202);
  CHECK(text_of(again.json().as_object(), "request_id") == first_id);
  CHECK(again.header("x-request-id") != first_id);
  // The body's idempotency_key is the same key (a GPT cannot send headers).
  const auto in_body = stack.post("/api/v1/memories", alice_token,
                                  R"({"content":"likes jasmine tea","idempotency_key":"k-1"})");
  REQUIRE(in_body.status == 202);
  CHECK(text_of(in_body.json().as_object(), "request_id") == first_id);
  // Only one job was queued for the three calls.
  CHECK(redis_commands(stack.redis.port()).run({"XLEN", "{gpt-adapter}:jobs"}).as_integer() == 1);

  const auto conflict = stack.post("/api/v1/memories", alice_token,
                                   R"({"content":"likes oolong","idempotency_key":"k-1"})");
  const auto problem = check_problem(conflict, 422);
  CHECK(error_pointers(problem) == std::set<std::string>{"#/idempotency_key"});
  const auto header_conflict =
      stack.post("/api/v1/memories", alice_token, R"({"content":"likes oolong"})",
                 {{"Idempotency-Key", "k-1"}});
  CHECK(error_pointers(check_problem(header_conflict, 422)) ==
        std::set<std::string>{"Idempotency-Key"});

  // Bob's k-1 is his own key.
  const auto bobs = stack.post("/api/v1/memories", bob_token, body, {{"Idempotency-Key", "k-1"}});
  REQUIRE(bobs.status == 202);
  CHECK(text_of(bobs.json().as_object(), "request_id") != first_id);

  // Remembered for 24 hours.
  const auto ttl = redis_commands(stack.redis.port())
                       .run({"PTTL", "{gpt-adapter}:idempotency:" + stack.application.id + ":" +
                                         stack.alice + ":" + auth::sha256_hex("k-1")})
                       .as_integer();
  CHECK(ttl > 23LL * 3600 * 1000);
  CHECK(ttl <= 24LL * 3600 * 1000);

  // A caller's own X-Request-ID names one request only.
  const auto own = stack.post("/api/v1/memories", alice_token, R"({"content":"a"})",
                              {{"X-Request-ID", "caller-chosen-1"}});
  REQUIRE(own.status == 202);
  CHECK(text_of(own.json().as_object(), "request_id") == "caller-chosen-1");
  check_problem(stack.post("/api/v1/memories", bob_token, R"({"content":"b"})",
                           {{"X-Request-ID", "caller-chosen-1"}}),
                409);
  check_problem(stack.get("/api/v1/jobs/caller-chosen-1", bob_token), 404);
  CHECK(stack.get("/api/v1/jobs/caller-chosen-1", alice_token).status == 200);
}

TEST_CASE("memory API: malformed, mistyped and invalid requests, scopes and credentials",
          "[integration][memory_api]") {
  memory_stack stack({}, false);
  const auto token = stack.token(stack.alice);

  const auto malformed = stack.post("/api/v1/search", token, R"({"query": "tea")");
  check_problem(malformed, 400);
  const auto not_json =
      stack.post("/api/v1/search", token, R"({"query":"tea"})", {{"Content-Type", "text/plain"}});
  check_problem(not_json, 415);
  const auto invalid = stack.post("/api/v1/search", token,
                                  R"({"limit":0,"filters":{"date_range":{"start":"yesterday"}}})");
  const auto problem = check_problem(invalid, 422);
  CHECK(error_pointers(problem) ==
        std::set<std::string>{"#/query", "#/limit", "#/filters/date_range/start"});
  CHECK(text_of(problem, "instance") == "/api/v1/search");
  check_problem(stack.post("/api/v1/memories", token, R"({"content":""})"), 422);
  check_problem(stack.post("/api/v1/memories", token, R"(["content"])"), 422);
  check_problem(stack.call(bhttp::verb::put, "/api/v1/memories/m-1", token, R"({"metadata":{}})"),
                422);
  check_problem(stack.get("/api/v1/memories?limit=500", token), 422);
  check_problem(stack.get("/api/v1/memories?cursor=not-a-cursor", token), 422);

  // memories:read cannot write; no credential at all is 401. Nothing reached the queue.
  const auto reader = stack.token(stack.alice, {"memories:read"});
  const auto forbidden = stack.post("/api/v1/memories", reader, R"({"content":"x"})");
  check_problem(forbidden, 403);
  CHECK_THAT(forbidden.header("www-authenticate"), Contains("insufficient_scope"));
  check_problem(stack.call(bhttp::verb::delete_, "/api/v1/memories/m-1", reader), 403);
  const auto writer = stack.token(stack.alice, {"memories:write"});
  check_problem(stack.post("/api/v1/search", writer, R"({"query":"tea"})"), 403);
  const auto anonymous =
      http_request(stack.api->port(), {.method = bhttp::verb::post,
                                       .target = "/api/v1/search",
                                       .body = R"({"query":"tea"})",
                                       .headers = {{"Content-Type", "application/json"}}});
  check_problem(anonymous, 401);
  CHECK(redis_commands(stack.redis.port()).run({"XLEN", "{gpt-adapter}:jobs"}).as_integer() == 0);
  const auto refused = stack.wait_for_audit_event(invalid.header("x-request-id"));
  CHECK(refused.at("operation_type") == "search");
  CHECK(refused.at("response_status") == "422");
}

TEST_CASE("memory API: a slow Memory Bank makes search answer 202 pending, then the job finishes",
          "[integration][memory_api]") {
  memory_stack stack(std::map<std::string, std::string>{{"SEARCH_WAIT_TIMEOUT_MS", "300"}});
  const auto token = stack.token(stack.alice);
  stack.bank->set_faults({{"latency_ms", 1500}});
  const auto started = std::chrono::steady_clock::now();
  const auto reply = stack.post("/api/v1/search", token, R"({"query":"anything"})");
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE(reply.status == 202);
  CHECK(waited < 1400ms);
  CHECK(waited >= 300ms);
  const auto pending = reply.json().as_object();
  CHECK(text_of(pending, "status") == "pending");
  const auto request_id = text_of(pending, "request_id");
  CHECK(request_id == reply.header("x-request-id"));
  CHECK(text_of(pending, "status_url") == public_base_url + "/api/v1/jobs/" + request_id);
  const auto job = stack.finished_job(request_id, token);
  CHECK(text_of(job, "status") == "succeeded");
  CHECK(text_of(job, "operation") == "search");
  CHECK(job.at("result").as_array().empty());
}

TEST_CASE("memory API: while the Memory Bank circuit is open, search answers 503 Retry-After",
          "[integration][memory_api]") {
  memory_stack stack({{"SEARCH_WAIT_TIMEOUT_MS", "1500"}, {"MEMORY_BANK_BREAKER_OPEN_MS", "30000"}},
                     false);
  // The worker's breaker opens at the first failure and stays open beyond the test.
  stack.start_worker({{"MEMORY_BANK_BREAKER_FAILURES", "1"},
                      {"MEMORY_BANK_BREAKER_OPEN_MS", "30000"},
                      {"MEMORY_BANK_READ_RETRIES", "0"},
                      {"JOB_RETRY_BASE_DELAY_MS", "10"}});
  stack.bank->set_faults({{"down", true}});
  const auto token = stack.token(stack.alice);
  const auto reply = stack.post("/api/v1/search", token, R"({"query":"tea"})");
  const auto problem = check_problem(reply, 503);
  CHECK(reply.header("retry-after") == "30");
  CHECK_THAT(text_of(problem, "detail"), Contains("unavailable"));
  // The job is kept: it runs once the Memory Bank is back and the breaker lets a trial through.
  const auto job = stack.get("/api/v1/jobs/" + reply.header("x-request-id"), token);
  REQUIRE(job.status == 200);
  CHECK(text_of(job.json().as_object(), "status") == "queued");
}

TEST_CASE("memory API: /openapi.json lists exactly the protected routes and imports into GPTs",
          "[integration][memory_api]") {
  memory_stack stack({}, false);
  const auto reply = http_get(stack.api->port(), "/openapi.json");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "application/json");
  const auto document = reply.json().as_object();
  CHECK(openapi_violations(document).empty());
  CHECK(api::openapi::gpt_action_violations(document).empty());
  CHECK(text_of(document, "openapi") == "3.1.0");
  CHECK(text_of(document.at("servers").at(0).as_object(), "url") == public_base_url);

  // The routes the API registers, from the same code the binary runs, against the served paths.
  std::set<std::tuple<std::string, std::string, std::string>> registered;
  {
    // Declared before the I/O thread, which is joined first: the authorization uses the keys.
    const auto keys = test_hmac_keys();
    metrics::registry registry;
    io_threads io(1);
    config::common_settings common;
    common.database.url = stack.database.runtime_url();
    common.database.pool_min = 0;
    common.database.pool_max = 1;
    common.redis.connection = redis::parse_url(stack.redis.url());
    auto dependencies = service::start_dependencies({io.context().get_executor()}, common);
    const auto authorization = api::request_auth::request_authorization::create(
        io.context().get_executor(), {}, keys, token_settings, dependencies,
        redis::parse_url(stack.redis.url()), registry);
    http::router routes;
    api::request_auth::add_me_route(*authorization, routes);
    api::memory::add_memory_routes(
        *authorization, routes,
        {.redis = dependencies.redis,
         .waiter = queue::completion_waiter::create(
             io.context().get_executor(), redis::parse_url(stack.redis.url()), dependencies.redis),
         .audit = std::make_shared<audit::audit_log>(dependencies.redis, registry),
         .settings = {},
         .public_base_url = public_base_url,
         .metrics = registry});
    for (const auto& route : authorization->requirements()) {
      std::string method(bhttp::to_string(route.method));
      std::transform(method.begin(), method.end(), method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      registered.emplace(method, route.pattern, route.required_scope.value_or(""));
    }
    dependencies.stop();
  }
  std::set<std::tuple<std::string, std::string, std::string>> documented;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      std::string scope;
      for (const auto& requirement : operation.at("security").as_array()) {
        if (const auto* oauth = requirement.as_object().if_contains("oauth2");
            oauth && !oauth->as_array().empty()) {
          scope = oauth->as_array().at(0).as_string();
        }
      }
      documented.emplace(std::string(method), std::string(path), scope);
    }
  }
  CHECK(registered.size() == 10);
  CHECK(documented == registered);

  // Every documented operation is really served behind authentication.
  for (const auto& [method, path, scope] : documented) {
    std::string target = path;
    if (const auto brace = target.find('{'); brace != std::string::npos) {
      target = target.substr(0, brace) + "x";
    }
    const auto verb = bhttp::string_to_verb([&] {
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return upper;
    }());
    INFO(method << " " << target);
    CHECK(http_request(stack.api->port(), {.method = verb, .target = target}).status == 401);
  }

  const auto page = http_get(stack.api->port(), "/docs");
  REQUIRE(page.status == 200);
  CHECK_THAT(page.header("content-type"), Contains("text/html"));
  CHECK_THAT(page.header("content-security-policy"), Contains("default-src 'none'"));
  CHECK(page.body.find("<script") == std::string::npos);
  for (const auto& operation : api::memory::api_operations()) {
    CHECK_THAT(page.body, Contains(operation.operation_id));
  }
}

TEST_CASE("memory API: a search wait of 45 s or more stops the API at start-up",
          "[integration][memory_api]") {
  postgres_server postgres;
  redis_server redis;
  auto environment = service_environment(postgres, redis);
  environment["SEARCH_WAIT_TIMEOUT_MS"] = "45000";
  service_process api(api_binary, environment, "API_PORT");
  const auto status = api.process().wait_exit(20s);
  REQUIRE(status.has_value());
  CHECK(*status != 0);
  CHECK_THAT(api.output(), Contains("SEARCH_WAIT_TIMEOUT_MS"));
}
