#include <catch2/catch.hpp>

#include "common/memory_bank/client.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/io_threads.hpp"

namespace gpt_adapter::testing {
namespace {

using boost::beast::http::verb;
using memory_bank::call_result;
using kind = call_result::kind;
namespace mb = gpt_adapter::memory_bank;

const mb::owner alice{.user_id = "alice", .app = "demo-gpt"};

struct dialect_client {
  dialect_client(const fake_http_server& fake, mb::dialect shape, mb::auth_scheme scheme) {
    mb::client_settings settings;
    settings.url = fake.url();
    settings.shape = shape;
    settings.api_key = "dialect-key";
    settings.scheme = scheme;
    settings.read_retries = 0;
    client = mb::client::create(threads.context().get_executor(), settings, registry);
  }
  ~dialect_client() { client->stop(); }

  call_result run(const mb::operation_input& input) {
    return threads.run(client->execute(alice, input, "dialect-request"));
  }

  io_threads threads{1};
  metrics::registry registry;
  std::shared_ptr<mb::client> client;
};

boost::json::value user_message(const std::string& content) {
  return boost::json::array{boost::json::object{{"role", "user"}, {"content", content}}};
}

}  // namespace

TEST_CASE("memory_bank mem0-platform dialect sends versioned paths, Token auth and mem0 bodies",
          "[integration][memory_bank_dialects]") {
  fake_http_server fake;
  const boost::json::object stored{{"id", "p-1"},
                                   {"memory", "Likes jazz"},
                                   {"user_id", "alice"},
                                   {"metadata", {{"category", "music"}}},
                                   {"created_at", "2026-01-02T03:04:05Z"}};
  fake.on(verb::post, "/v1/memories/", [](const recorded_request&) {
    return canned_response{
        .body = boost::json::array{boost::json::object{
            {"id", "p-1"}, {"data", {{"memory", "Likes jazz"}}}, {"event", "ADD"}}}};
  });
  fake.on(verb::post, "/v1/memories/search/", [&](const recorded_request&) {
    auto scored = stored;
    scored["score"] = 0.75;
    return canned_response{.body = boost::json::array{scored}};
  });
  fake.on(verb::get, "/v1/memories/", [&](const recorded_request&) {
    return canned_response{.body = boost::json::array{stored}};
  });
  fake.on(verb::get, "/v1/memories/{id}/",
          [&](const recorded_request&) { return canned_response{.body = stored}; });
  fake.on(verb::put, "/v1/memories/{id}/", [&](const recorded_request&) {
    auto changed = stored;
    changed["memory"] = "Likes bebop";
    return canned_response{.body = changed};
  });
  fake.on(verb::delete_, "/v1/memories/{id}/", [](const recorded_request&) {
    return canned_response{.body =
                               boost::json::object{{"message", "Memory deleted successfully!"}}};
  });
  fake.start();
  dialect_client tested(fake, mb::dialect::mem0_platform, mb::auth_scheme::token);

  const auto created = tested.run(mb::create_input{"Likes jazz", {{"category", "music"}}});
  REQUIRE(created.outcome == kind::ok);
  CHECK(created.result.as_array()[0].at("memory_id") == "p-1");
  CHECK(created.result.as_array()[0].at("content") == "Likes jazz");

  const auto found = tested.run(mb::search_input{"jazz", 5, {}});
  REQUIRE(found.outcome == kind::ok);
  CHECK(found.result.as_array()[0].at("relevance_score").to_number<double>() == Approx(0.75));
  CHECK(tested.run(mb::list_input{.page = 2, .page_size = 20}).outcome == kind::ok);
  CHECK(tested.run(mb::get_input{"p-1"}).result.at("content") == "Likes jazz");
  CHECK(tested.run(mb::update_input{"p-1", "Likes bebop", {}}).result.at("content") ==
        "Likes bebop");
  CHECK(tested.run(mb::delete_input{"p-1"}).outcome == kind::ok);

  const auto seen = fake.requests();
  REQUIRE(seen.size() == 8);  // update and delete each read the memory first
  for (const auto& request : seen) {
    CHECK(request.header("authorization") == "Token dialect-key");
    CHECK(request.header("x-request-id") == "dialect-request");
    CHECK(request.header("accept") == "application/json");
  }
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/v1/memories/");
  CHECK(seen[0].header("content-type") == "application/json");
  CHECK(seen[0].json() ==
        boost::json::value(boost::json::object{{"messages", user_message("Likes jazz")},
                                               {"user_id", "alice"},
                                               {"metadata", {{"category", "music"}}}}));
  CHECK(seen[1].target == "/v1/memories/search/");
  CHECK(seen[1].json() == boost::json::value(boost::json::object{
                              {"query", "jazz"}, {"user_id", "alice"}, {"top_k", 5}}));
  CHECK(seen[2].method == "GET");
  CHECK(seen[2].target == "/v1/memories/?user_id=alice&page=2&page_size=20");
  CHECK(seen[3].target == "/v1/memories/p-1/");
  CHECK(seen[4].method == "GET");  // the owner check before the update
  CHECK(seen[5].method == "PUT");
  CHECK(seen[5].target == "/v1/memories/p-1/");
  CHECK(seen[5].json() == boost::json::value(boost::json::object{
                              {"text", "Likes bebop"}, {"metadata", boost::json::object{}}}));
  CHECK(seen[7].method == "DELETE");
  CHECK(seen[7].target == "/v1/memories/p-1/");
  CHECK(seen[7].body.empty());
}

TEST_CASE("memory_bank openmemory dialect sends /api/v1/memories/ shapes with Bearer auth",
          "[integration][memory_bank_dialects]") {
  fake_http_server fake;
  const boost::json::object stored{{"id", "o-1"},
                                   {"content", "Prefers tea"},
                                   {"user_id", "alice"},
                                   {"metadata_", {{"source", "gpt"}}},
                                   {"created_at", "2026-01-02T03:04:05Z"}};
  fake.on(verb::post, "/api/v1/memories/",
          [&](const recorded_request&) { return canned_response{.body = stored}; });
  fake.on(verb::get, "/api/v1/memories/", [&](const recorded_request&) {
    return canned_response{
        .body = boost::json::object{{"items", boost::json::array{stored}}, {"total", 1}}};
  });
  fake.on(verb::get, "/api/v1/memories/{id}",
          [&](const recorded_request&) { return canned_response{.body = stored}; });
  fake.on(verb::put, "/api/v1/memories/{id}", [&](const recorded_request&) {
    auto changed = stored;
    changed["content"] = "Prefers coffee";
    return canned_response{.body = changed};
  });
  fake.on(verb::delete_, "/api/v1/memories/", [](const recorded_request&) {
    return canned_response{.body = boost::json::object{{"message", "Deleted 1 memories"}}};
  });
  fake.start();
  dialect_client tested(fake, mb::dialect::openmemory, mb::auth_scheme::bearer);

  const auto created = tested.run(mb::create_input{"Prefers tea", {{"source", "gpt"}}});
  REQUIRE(created.outcome == kind::ok);
  CHECK(created.result.as_array()[0].at("memory_id") == "o-1");
  CHECK(created.result.as_array()[0].at("metadata").at("source") == "gpt");
  const auto found = tested.run(mb::search_input{"tea", 3, {}});
  REQUIRE(found.outcome == kind::ok);
  CHECK(found.result.as_array()[0].at("content") == "Prefers tea");
  CHECK(tested.run(mb::list_input{}).outcome == kind::ok);
  CHECK(tested.run(mb::get_input{"o-1"}).outcome == kind::ok);
  CHECK(tested.run(mb::update_input{"o-1", "Prefers coffee", {}}).result.at("content") ==
        "Prefers coffee");
  CHECK(tested.run(mb::delete_input{"o-1"}).result.at("deleted") == true);

  const auto seen = fake.requests();
  REQUIRE(seen.size() == 6);  // OpenMemory scopes updates and deletes by user itself
  for (const auto& request : seen) {
    CHECK(request.header("authorization") == "Bearer dialect-key");
  }
  CHECK(seen[0].target == "/api/v1/memories/");
  CHECK(seen[0].json() == boost::json::value(boost::json::object{{"user_id", "alice"},
                                                                 {"text", "Prefers tea"},
                                                                 {"metadata", {{"source", "gpt"}}},
                                                                 {"infer", true},
                                                                 {"app", "demo-gpt"}}));
  CHECK(seen[1].target == "/api/v1/memories/?user_id=alice&search_query=tea&page=1&size=3");
  CHECK(seen[2].target == "/api/v1/memories/?user_id=alice&page=1&size=50");
  CHECK(seen[3].target == "/api/v1/memories/o-1");
  CHECK(seen[4].method == "PUT");
  CHECK(seen[4].json() == boost::json::value(boost::json::object{
                              {"memory_content", "Prefers coffee"}, {"user_id", "alice"}}));
  CHECK(seen[5].method == "DELETE");
  CHECK(seen[5].target == "/api/v1/memories/");
  CHECK(seen[5].json() == boost::json::value(boost::json::object{
                              {"memory_ids", boost::json::array{"o-1"}}, {"user_id", "alice"}}));
}

TEST_CASE("memory_bank client answers another user's memory from a dialect as not found",
          "[integration][memory_bank_dialects]") {
  fake_http_server fake;
  fake.on(verb::get, "/v1/memories/{id}/", [](const recorded_request&) {
    return canned_response{.body = boost::json::object{
                               {"id", "p-9"}, {"memory", "Mallory's"}, {"user_id", "mallory"}}};
  });
  fake.on(verb::post, "/v1/memories/search/", [](const recorded_request&) {
    return canned_response{
        .body = boost::json::array{
            boost::json::object{
                {"id", "p-9"}, {"memory", "Mallory's"}, {"user_id", "mallory"}, {"score", 0.9}},
            boost::json::object{
                {"id", "p-1"}, {"memory", "Alice's"}, {"user_id", "alice"}, {"score", 0.5}}}};
  });
  fake.start();
  dialect_client tested(fake, mb::dialect::mem0_platform, mb::auth_scheme::bearer);
  CHECK(tested.run(mb::get_input{"p-9"}).outcome == kind::not_found);
  CHECK(tested.run(mb::update_input{"p-9", "mine now", {}}).outcome == kind::not_found);
  CHECK(tested.run(mb::delete_input{"p-9"}).outcome == kind::not_found);
  const auto found = tested.run(mb::search_input{"x", 10, {}});
  REQUIRE(found.result.as_array().size() == 1);
  CHECK(found.result.as_array()[0].at("memory_id") == "p-1");
  for (const auto& request : fake.requests()) {
    CHECK(request.method != "PUT");
    CHECK(request.method != "DELETE");
    CHECK(request.header("authorization") == "Bearer dialect-key");
  }
}

TEST_CASE("memory_bank client reports an unreadable answer as rejected",
          "[integration][memory_bank_dialects]") {
  fake_http_server fake;
  fake.on(verb::post, "/search", [](const recorded_request&) {
    return canned_response{.body = boost::json::object{{"unexpected", true}}};
  });
  fake.start();
  dialect_client tested(fake, mb::dialect::mem0_oss, mb::auth_scheme::x_api_key);
  const auto answer = tested.run(mb::search_input{"x", 10, {}});
  CHECK(answer.outcome == kind::rejected);
  CHECK(answer.http_status == 200);
  CHECK(answer.error.find("unexpected answer") != std::string::npos);
  REQUIRE(fake.requests().size() == 1);
  CHECK(fake.requests()[0].header("x-api-key") == "dialect-key");
  CHECK(fake.requests()[0].header("authorization").empty());
}

}  // namespace gpt_adapter::testing
