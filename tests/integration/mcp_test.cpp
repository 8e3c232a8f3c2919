#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/problem_checks.hpp"

using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

const std::string resource_metadata_url =
    "https://gpt.example.com/.well-known/oauth-protected-resource/mcp";

struct mcp_client {
  const memory_stack& stack;
  std::string token;
  std::string version = "2025-11-25";
  int next_id = 1;

  http_reply post(const std::string& body,
                  std::vector<std::pair<std::string, std::string>> extra = {}) const {
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"Accept", "application/json, text/event-stream"},
        {"MCP-Protocol-Version", version}};
    if (!token.empty()) {
      headers.emplace_back("Authorization", "Bearer " + token);
    }
    for (auto& header : extra) {
      headers.push_back(std::move(header));
    }
    return http_request(stack.port(), {.method = bhttp::verb::post,
                                       .target = "/mcp",
                                       .body = body,
                                       .headers = std::move(headers)});
  }

  json::object request(const std::string& method, json::object params = {}) {
    const auto answer = post(json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", next_id++}, {"method", method}, {"params", params}}));
    REQUIRE(answer.status == 200);
    REQUIRE(answer.header("content-type") == "application/json");
    return answer.json().as_object();
  }

  // A tools/call's CallToolResult.
  json::object call(const std::string& tool, json::object arguments) {
    const auto answer = request("tools/call", {{"name", tool}, {"arguments", arguments}});
    INFO(json::serialize(answer));
    REQUIRE(answer.contains("result"));
    return answer.at("result").as_object();
  }
};

std::string text_of(const json::value& value) {
  return std::string(value.as_string());
}

}  // namespace

TEST_CASE("mcp: discovery from a 401, the metadata, and the transport's refusals",
          "[integration][mcp]") {
  memory_stack stack;
  mcp_client anonymous{stack, ""};
  const auto unauthorized = anonymous.post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  CHECK(unauthorized.status == 401);
  CHECK(unauthorized.header("www-authenticate") ==
        "Bearer realm=\"gpt-adapter\", resource_metadata=\"" + resource_metadata_url + "\"");
  check_problem(unauthorized, 401);

  for (const auto* path :
       {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    const auto metadata = http_get(stack.port(), path);
    REQUIRE(metadata.status == 200);
    const auto document = metadata.json().as_object();
    CHECK(document.at("resource") == "https://gpt.example.com/mcp");
    CHECK(document.at("authorization_servers") == json::array{"https://adapter.test"});
    CHECK(document.at("scopes_supported") == json::array{"memories:read", "memories:write"});
    CHECK(document.at("bearer_methods_supported") == json::array{"header"});
  }
  // The authorization server the metadata names says it is one (RFC 8414), with S256 PKCE.
  const auto server = http_get(stack.port(), "/.well-known/oauth-authorization-server");
  REQUIRE(server.status == 200);
  CHECK(server.json().at("issuer") == "https://adapter.test");
  CHECK(server.json().at("code_challenge_methods_supported") == json::array{"S256"});

  mcp_client alice{stack, stack.mcp_token(stack.alice)};
  const std::string list = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  // Stateless: no stream to GET, no session to DELETE.
  for (const auto method : {bhttp::verb::get, bhttp::verb::delete_}) {
    const auto refused = http_request(
        stack.port(),
        {.method = method,
         .target = "/mcp",
         .headers = {{"Authorization", "Bearer " + alice.token}, {"Accept", "text/event-stream"}}});
    check_problem(refused, 405);
    CHECK(refused.header("allow") == "POST");
  }
  check_problem(alice.post(list, {{"Origin", "https://evil.example"}}), 403);
  CHECK(alice.post(list, {{"Origin", "https://gpt.example.com"}}).status == 200);
  const auto wrong_accept =
      http_request(stack.port(), {.method = bhttp::verb::post,
                                  .target = "/mcp",
                                  .body = list,
                                  .headers = {{"Authorization", "Bearer " + alice.token},
                                              {"Content-Type", "application/json"},
                                              {"Accept", "application/json"}}});
  check_problem(wrong_accept, 406);
  check_problem(alice.post(list, {{"Content-Type", "text/plain"}}), 415);
  check_problem(alice.post(std::string(2 * 1024 * 1024, ' ')), 413);

  const auto malformed = alice.post("{\"jsonrpc\":");
  CHECK(malformed.status == 400);
  CHECK(malformed.json().at("error").at("code") == -32700);
  CHECK(malformed.json().at("id").is_null());
  const auto batch = alice.post("[" + list + "]");
  CHECK(batch.status == 400);
  CHECK(batch.json().at("error").at("code") == -32600);
  const auto unknown = alice.request("resources/list");
  CHECK(unknown.at("error").at("code") == -32601);
  alice.version = "2024-11-05";
  const auto old_version = alice.post(list);
  CHECK(old_version.status == 400);
  CHECK(old_version.json().at("error").at("data").at("requested") == "2024-11-05");
  const auto notification = alice.post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  CHECK(notification.status == 202);
  CHECK(notification.body.empty());
}

TEST_CASE("mcp: every tool through /mcp, per-user isolation, scopes, audiences and audit",
          "[integration][mcp]") {
  memory_stack stack;
  mcp_client alice{stack, stack.mcp_token(stack.alice)};
  const auto initialized =
      alice.request("initialize", {{"protocolVersion", "2025-11-25"},
                                   {"capabilities", json::object{}},
                                   {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
  CHECK(initialized.at("result").at("protocolVersion") == "2025-11-25");
  const auto tools = alice.request("tools/list").at("result").at("tools").as_array();
  std::vector<std::string> names;
  for (const auto& tool : tools) {
    names.push_back(text_of(tool.at("name")));
  }
  CHECK(names == std::vector<std::string>{"searchMemories", "createMemory", "listMemories",
                                          "getMemory", "updateMemory", "deleteMemory",
                                          "getMemoryHistory", "forgetAllMemories", "getJob",
                                          "getCurrentCaller"});

  const auto created =
      alice.call("createMemory", {{"content", "Alice drinks green tea"}, {"infer", false}});
  CHECK(created.at("isError") == false);
  const auto request_id = text_of(created.at("structuredContent").at("request_id"));
  // The job finishes in the background; getJob through the same door tells when.
  json::object job;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    job = alice.call("getJob", {{"request_id", request_id}}).at("structuredContent").as_object();
  } while (job.at("status") != "succeeded" && std::chrono::steady_clock::now() < deadline);
  REQUIRE(job.at("status") == "succeeded");

  const auto found = alice.call("searchMemories", {{"query", "green tea"}});
  REQUIRE(found.at("isError") == false);
  const auto& results = found.at("structuredContent").at("results").as_array();
  REQUIRE(results.size() == 1);
  const auto memory_id = text_of(results.at(0).at("memory_id"));
  CHECK(json::parse(text_of(found.at("content").at(0).at("text"))) ==
        found.at("structuredContent"));

  const auto listed = alice.call("listMemories", {{"limit", 10}});
  CHECK(listed.at("structuredContent").at("results").as_array().size() == 1);
  const auto got = alice.call("getMemory", {{"memory_id", memory_id}});
  CHECK(got.at("structuredContent").at("memory").at("content") == "Alice drinks green tea");
  CHECK(alice.call("updateMemory", {{"memory_id", memory_id}, {"content", "Alice drinks oolong"}})
            .at("isError") == false);
  CHECK(alice.call("getMemoryHistory", {{"memory_id", memory_id}}).at("isError") == false);
  CHECK(
      text_of(alice.call("getCurrentCaller", {}).at("structuredContent").at("end_user").at("id")) ==
      stack.alice);

  // Another end user's memory is not there for Bob, through this door either.
  mcp_client bob{stack, stack.mcp_token(stack.bob)};
  const auto bobs = bob.call("getMemory", {{"memory_id", memory_id}});
  CHECK(bobs.at("isError") == true);
  CHECK(bobs.at("structuredContent").at("status") == 404);
  CHECK(bob.call("searchMemories", {{"query", "green tea"}})
            .at("structuredContent")
            .at("results")
            .as_array()
            .empty());

  // Invalid arguments are tool errors the model can read, with the Actions door's words.
  const auto invalid = alice.call("searchMemories", {{"query", ""}, {"limit", 0}});
  CHECK(invalid.at("isError") == true);
  CHECK(invalid.at("structuredContent").at("status") == 422);
  CHECK_THAT(text_of(invalid.at("content").at(0).at("text")), Catch::Contains("#/limit"));
  CHECK(alice.call("getMemory", {}).at("isError") == true);

  // A read-only token may search but not write: 403 with the scope, as at the Actions door.
  mcp_client reader{stack, stack.mcp_token(stack.alice, {"memories:read"})};
  CHECK(reader.call("searchMemories", {{"query", "tea"}}).at("isError") == false);
  const auto write = reader.post(json::serialize(
      json::object{{"jsonrpc", "2.0"},
                   {"id", 1},
                   {"method", "tools/call"},
                   {"params", {{"name", "createMemory"}, {"arguments", {{"content", "x"}}}}}}));
  check_problem(write, 403);
  CHECK_THAT(write.header("www-authenticate"),
             Catch::Contains("error=\"insufficient_scope\"") &&
                 Catch::Contains("scope=\"memories:write\"") &&
                 Catch::Contains("resource_metadata=\"" + resource_metadata_url + "\""));

  // Each door takes only its own tokens (RFC 8707 audiences).
  mcp_client actions_token{stack, stack.token(stack.alice)};
  const auto wrong_door = actions_token.post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  check_problem(wrong_door, 401);
  CHECK_THAT(wrong_door.header("www-authenticate"), Catch::Contains("error=\"invalid_token\""));
  check_problem(stack.get("/api/v1/memories", alice.token), 401);
  CHECK(stack.get("/api/v1/memories", stack.token(stack.alice)).status == 200);

  CHECK(alice.call("deleteMemory", {{"memory_id", memory_id}}).at("isError") == false);
  CHECK(alice.call("forgetAllMemories", {}).at("isError") == false);

  // The audit trail says which door was used.
  const auto event = stack.wait_for_audit_event(request_id);
  CHECK(event.at("operation_type") == "create");
  CHECK(json::parse(event.at("request_data")).at("door") == "mcp");
  const auto actions = stack.post("/api/v1/memories", stack.token(stack.alice),
                                  R"({"content":"through the other door"})");
  REQUIRE(actions.status == 202);
  const auto actions_event = stack.wait_for_audit_event(text_of(actions.json().at("request_id")));
  CHECK(json::parse(actions_event.at("request_data")).at("door") == "actions");
}

TEST_CASE("mcp: 2026-07-28 requests without a handshake, on any replica", "[integration][mcp]") {
  memory_stack stack;
  mcp_client alice{stack, stack.mcp_token(stack.alice), "2026-07-28"};
  const json::object meta{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                          {"io.modelcontextprotocol/clientCapabilities", json::object{}}};
  const auto discover = alice.post(json::serialize(json::object{{"jsonrpc", "2.0"},
                                                                {"id", 1},
                                                                {"method", "server/discover"},
                                                                {"params", {{"_meta", meta}}}}),
                                   {{"Mcp-Method", "server/discover"}});
  REQUIRE(discover.status == 200);
  CHECK(discover.json().at("result").at("supportedVersions").at(0) == "2026-07-28");
  const auto call_body = [&](int id) {
    json::object params{
        {"name", "searchMemories"}, {"arguments", json::object{{"query", "tea"}}}, {"_meta", meta}};
    return json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", std::move(params)}});
  };
  const auto search =
      alice.post(call_body(2), {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "searchMemories"}});
  REQUIRE(search.status == 200);
  const auto answer = search.json();
  const auto& result = answer.at("result");
  CHECK(result.at("resultType") == "complete");
  CHECK(result.at("isError") == false);
  const auto mismatch =
      alice.post(call_body(3), {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "createMemory"}});
  CHECK(mismatch.status == 400);
  CHECK(mismatch.json().at("error").at("code") == -32020);
  CHECK(mismatch.json().at("id") == 3);
}

TEST_CASE("mcp: a browser-based client on an allowed origin (the MCP Inspector)",
          "[integration][mcp]") {
  memory_stack stack({{"CORS_ALLOWED_ORIGINS", "http://localhost:6274"}}, false);
  const auto preflight = http_request(
      stack.port(),
      {.method = bhttp::verb::options,
       .target = "/mcp",
       .headers = {{"Origin", "http://localhost:6274"},
                   {"Access-Control-Request-Method", "POST"},
                   {"Access-Control-Request-Headers", "authorization, mcp-protocol-version"}}});
  CHECK(preflight.status == 204);
  CHECK_THAT(preflight.header("access-control-allow-headers"),
             Catch::Contains("MCP-Protocol-Version"));
  mcp_client inspector{stack, stack.mcp_token(stack.alice)};
  const auto listed = inspector.post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
                                     {{"Origin", "http://localhost:6274"}});
  CHECK(listed.status == 200);
  CHECK(listed.header("access-control-allow-origin") == "http://localhost:6274");
  const auto unauthorized = http_request(
      stack.port(),
      {.method = bhttp::verb::post,
       .target = "/mcp",
       .body = "{}",
       .headers = {{"Origin", "http://localhost:6274"}, {"Content-Type", "application/json"}}});
  CHECK(unauthorized.status == 401);
  CHECK_THAT(unauthorized.header("access-control-expose-headers"),
             Catch::Contains("WWW-Authenticate"));
  check_problem(inspector.post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
                               {{"Origin", "http://localhost:6275"}}),
                403);
}
