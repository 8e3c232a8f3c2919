#include "api/mcp/mcp_protocol.hpp"

#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/mcp/json_rpc.hpp"
#include "api/mcp/memory_tools.hpp"
#include "api/memory/memory_api_docs.hpp"

namespace mcp = gpt_adapter::api::mcp;
namespace memory = gpt_adapter::api::memory;
namespace json = boost::json;

namespace {

const std::vector<mcp::tool>& tools() {
  static const auto made =
      mcp::make_tools(memory::api_operations(),
                      memory::api_document_settings("https://memory.example.com", "1.2.3").schemas);
  return made;
}

const mcp::server_description server{
    .name = "gpt-adapter", .version = "1.2.3", .instructions = "Long-term memory."};

mcp::reply reply_to(const mcp::post_headers& headers, const std::string& body) {
  auto outcome = mcp::handle_post(headers, body, tools(), server);
  REQUIRE(std::holds_alternative<mcp::reply>(outcome));
  return std::get<mcp::reply>(std::move(outcome));
}

// A 2026-07-28 request with its _meta and the headers that mirror it.
std::string stateless_body(const std::string& method, json::object params = {}, int id = 7) {
  params["_meta"] =
      json::object{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                   {"io.modelcontextprotocol/clientCapabilities", json::object{}},
                   {"io.modelcontextprotocol/clientInfo", {{"name", "test"}, {"version", "1"}}}};
  return json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

mcp::post_headers stateless_headers(const std::string& method,
                                    std::optional<std::string> name = std::nullopt) {
  return {.protocol_version = "2026-07-28", .method = method, .name = std::move(name)};
}

int error_code(const mcp::reply& answer) {
  return static_cast<int>(answer.body->at("error").at("code").as_int64());
}

const mcp::tool& tool_named(std::string_view name) {
  for (const auto& entry : tools()) {
    if (entry.operation->operation_id == name) {
      return entry;
    }
  }
  FAIL("no tool " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("mcp json-rpc: one message per request, malformed ones refused with the right code",
          "[mcp][json_rpc]") {
  CHECK(mcp::parse_message("{").error().code == mcp::error_codes::parse_error);
  CHECK(mcp::parse_message(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])").error().code ==
        mcp::error_codes::invalid_request);
  CHECK(mcp::parse_message(R"({"id":1,"method":"ping"})").error().id == json::value(1));
  CHECK(mcp::parse_message(R"({"jsonrpc":"2.0","id":null,"method":"ping"})").error().code ==
        mcp::error_codes::invalid_request);
  CHECK(
      mcp::parse_message(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[1]})").error().code ==
      mcp::error_codes::invalid_params);
  CHECK(mcp::parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})")->kind ==
        mcp::message_kind::notification);
  CHECK(mcp::parse_message(R"({"jsonrpc":"2.0","id":"a","result":{}})")->kind ==
        mcp::message_kind::response);
  const auto request = mcp::parse_message(R"({"jsonrpc":"2.0","id":"x","method":"tools/list"})");
  REQUIRE(request.ok());
  CHECK(request->id == json::value("x"));
  CHECK(request->method == "tools/list");
}

TEST_CASE("mcp handshake revisions: initialize negotiates, then MCP-Protocol-Version is checked",
          "[mcp][protocol]") {
  const auto initialize = [](const std::string& version) {
    return reply_to({}, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{)"
                        R"("protocolVersion":")" +
                            version +
                            R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
  };
  const auto older = initialize("2025-06-18");
  CHECK(older.status == 200);
  const auto& result = older.body->at("result").as_object();
  CHECK(result.at("protocolVersion") == "2025-06-18");
  CHECK(result.at("capabilities").at("tools").at("listChanged") == false);
  CHECK(result.at("serverInfo").at("name") == "gpt-adapter");
  CHECK(result.at("instructions") == "Long-term memory.");
  // A version we do not speak gets our newest handshake revision.
  CHECK(initialize("2024-11-05").body->at("result").at("protocolVersion") == "2025-11-25");
  // Only handshake revisions come out of initialize: 2026-07-28 has none.
  CHECK(initialize("2026-07-28").body->at("result").at("protocolVersion") == "2025-11-25");

  CHECK(reply_to({}, R"({"jsonrpc":"2.0","method":"notifications/initialized"})").status == 202);
  CHECK_FALSE(reply_to({}, R"({"jsonrpc":"2.0","method":"notifications/initialized"})").body);
  const auto ping =
      reply_to({.protocol_version = "2025-11-25"}, R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  CHECK(ping.body->at("result") == json::object{});

  const auto unsupported = reply_to({.protocol_version = "2024-11-05"},
                                    R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");
  CHECK(unsupported.status == 400);
  CHECK(unsupported.body->at("error").at("data").at("requested") == "2024-11-05");
  const auto no_meta = reply_to({.protocol_version = "2026-07-28"},
                                R"({"jsonrpc":"2.0","id":4,"method":"tools/list"})");
  CHECK(no_meta.status == 400);
  CHECK(error_code(no_meta) == mcp::error_codes::invalid_params);

  const auto unknown = reply_to({.protocol_version = "2025-11-25"},
                                R"({"jsonrpc":"2.0","id":5,"method":"resources/list"})");
  CHECK(unknown.status == 200);
  CHECK(error_code(unknown) == mcp::error_codes::method_not_found);
  CHECK(unknown.body->at("id") == 5);
  CHECK(reply_to({}, "{").status == 400);
  CHECK(error_code(reply_to({}, "[]")) == mcp::error_codes::invalid_request);
}

TEST_CASE("mcp 2026-07-28: per-request _meta, mirrored headers, discover and cacheable lists",
          "[mcp][protocol]") {
  const auto discover =
      reply_to(stateless_headers("server/discover"), stateless_body("server/discover"));
  REQUIRE(discover.status == 200);
  const auto& result = discover.body->at("result").as_object();
  CHECK(result.at("resultType") == "complete");
  CHECK(result.at("supportedVersions") == json::array{"2026-07-28", "2025-11-25", "2025-06-18"});
  CHECK(result.at("ttlMs").as_int64() > 0);
  CHECK(result.at("cacheScope") == "private");
  CHECK(result.at("_meta").at("io.modelcontextprotocol/serverInfo").at("version") == "1.2.3");

  const auto listed = reply_to(stateless_headers("tools/list"), stateless_body("tools/list"));
  CHECK(listed.body->at("result").at("tools").as_array().size() == tools().size());
  CHECK(listed.body->at("result").at("resultType") == "complete");

  auto wrong_version = json::parse(stateless_body("tools/list")).as_object();
  wrong_version["params"]
      .as_object()["_meta"]
      .as_object()["io.modelcontextprotocol/protocolVersion"] = "2027-01-01";
  const auto unsupported =
      reply_to(stateless_headers("tools/list"), json::serialize(wrong_version));
  CHECK(unsupported.status == 400);
  CHECK(error_code(unsupported) == mcp::error_codes::unsupported_protocol_version);
  CHECK(unsupported.body->at("error").at("data").at("requested") == "2027-01-01");
  CHECK(unsupported.body->at("id") == 7);

  const auto header_version = reply_to({.protocol_version = "2025-11-25", .method = "tools/list"},
                                       stateless_body("tools/list"));
  CHECK(header_version.status == 400);
  CHECK(error_code(header_version) == mcp::error_codes::header_mismatch);
  CHECK(error_code(reply_to(stateless_headers("tools/call"), stateless_body("tools/list"))) ==
        mcp::error_codes::header_mismatch);
  CHECK(error_code(reply_to({.protocol_version = "2026-07-28"}, stateless_body("tools/list"))) ==
        mcp::error_codes::header_mismatch);
  const json::object call_params{{"name", "getJob"}, {"arguments", {{"request_id", "r-1"}}}};
  CHECK(error_code(reply_to(stateless_headers("tools/call", "searchMemories"),
                            stateless_body("tools/call", call_params))) ==
        mcp::error_codes::header_mismatch);

  auto no_capabilities = json::parse(stateless_body("tools/list")).as_object();
  no_capabilities["params"].as_object()["_meta"].as_object().erase(
      "io.modelcontextprotocol/clientCapabilities");
  const auto missing = reply_to(stateless_headers("tools/list"), json::serialize(no_capabilities));
  CHECK(missing.status == 400);
  CHECK(error_code(missing) == mcp::error_codes::invalid_params);

  const auto unknown = reply_to(stateless_headers("prompts/list"), stateless_body("prompts/list"));
  CHECK(unknown.status == 404);
  CHECK(error_code(unknown) == mcp::error_codes::method_not_found);

  auto outcome = mcp::handle_post(stateless_headers("tools/call", "getJob"),
                                  stateless_body("tools/call", call_params), tools(), server);
  REQUIRE(std::holds_alternative<mcp::tool_call>(outcome));
  const auto& call = std::get<mcp::tool_call>(outcome);
  CHECK(call.stateless);
  CHECK(call.called->operation->operation_id == "getJob");
  const auto answered = mcp::tool_call_reply(call, mcp::tool_result(200, "{}"), server);
  CHECK(answered.body->at("result").at("resultType") == "complete");
  CHECK(answered.body->at("id") == 7);
}

TEST_CASE("mcp tools: one per operation, schemas and hints from the operation table",
          "[mcp][tools]") {
  REQUIRE(tools().size() == memory::api_operations().size());
  for (const auto& entry : tools()) {
    const auto& operation = *entry.operation;
    INFO(operation.operation_id);
    const auto& definition = entry.definition;
    CHECK(definition.at("name").as_string() == operation.operation_id);
    CHECK(definition.at("inputSchema").at("type") == "object");
    CHECK(definition.at("inputSchema").at("additionalProperties") == false);
    const auto& hints = definition.at("annotations").as_object();
    // The Actions door's x-openai-isConsequential is the MCP door's destructiveHint.
    CHECK(hints.at("destructiveHint") == operation.consequential);
    CHECK(hints.at("readOnlyHint") == operation.read_only);
    CHECK(hints.at("idempotentHint") == operation.idempotent);
  }
  const auto& search = tool_named("searchMemories").definition.at("inputSchema").as_object();
  CHECK(search.at("required") == json::array{"query"});
  CHECK(search.at("properties").at("query").at("maxLength").to_number<std::int64_t>() > 0);
  const auto& get = tool_named("getMemory").definition.at("inputSchema").as_object();
  CHECK(get.at("required") == json::array{"memory_id"});
  CHECK(tool_named("searchMemories").definition.at("annotations").at("readOnlyHint") == true);
  CHECK(tool_named("forgetAllMemories").definition.at("annotations").at("destructiveHint") == true);

  const auto unknown = mcp::handle_post(
      {.protocol_version = "2025-11-25"},
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"dropTables"}})", tools(),
      server);
  REQUIRE(std::holds_alternative<mcp::reply>(unknown));
  CHECK(error_code(std::get<mcp::reply>(unknown)) == mcp::error_codes::invalid_params);
}

TEST_CASE("mcp tools: a call becomes the operation's request, its answer the tool's result",
          "[mcp][tools]") {
  const auto get = mcp::http_call_for(
      tool_named("getMemory"), json::object{{"memory_id", "3f1c6a2e-9b7d-4e8a-8c1f-2d5e6f7a8b9c"}});
  REQUIRE(get.ok());
  CHECK(get->method == gpt_adapter::http::verb::get);
  CHECK(get->target == "/api/v1/memories/3f1c6a2e-9b7d-4e8a-8c1f-2d5e6f7a8b9c");
  CHECK(get->body.empty());
  const auto hostile =
      mcp::http_call_for(tool_named("getMemory"), json::object{{"memory_id", "../../me?x=1"}});
  REQUIRE(hostile.ok());
  CHECK(hostile->target == "/api/v1/memories/..%2F..%2Fme%3Fx%3D1");

  const auto list =
      mcp::http_call_for(tool_named("listMemories"), json::object{{"limit", 5}, {"cursor", "a b"}});
  REQUIRE(list.ok());
  CHECK(list->target == "/api/v1/memories?limit=5&cursor=a%20b");

  const auto search = mcp::http_call_for(tool_named("searchMemories"),
                                         json::object{{"query", "tea"}, {"limit", 3}});
  REQUIRE(search.ok());
  CHECK(search->method == gpt_adapter::http::verb::post);
  CHECK(json::parse(search->body) == json::object{{"query", "tea"}, {"limit", 3}});

  CHECK_FALSE(mcp::http_call_for(tool_named("getMemory"), json::object{}).ok());
  CHECK_FALSE(mcp::http_call_for(tool_named("getMemory"), json::object{{"memory_id", 4}}).ok());
  CHECK_FALSE(
      mcp::http_call_for(tool_named("getMemory"), json::object{{"memory_id", "m"}, {"extra", 1}})
          .ok());
  CHECK_FALSE(
      mcp::http_call_for(tool_named("listMemories"), json::object{{"limit", json::array{}}}).ok());

  const auto success = mcp::tool_result(200, R"({"status":"success","results":[]})");
  CHECK(success.at("isError") == false);
  CHECK(success.at("structuredContent").at("status") == "success");
  CHECK(json::parse(success.at("content").at(0).at("text").as_string()) ==
        success.at("structuredContent"));
  const auto invalid = mcp::tool_result(
      422, R"({"status":422,"detail":"The request has 1 invalid field: see errors.",)"
           R"("errors":[{"pointer":"#/query","detail":"is required"}]})");
  CHECK(invalid.at("isError") == true);
  CHECK(invalid.at("content").at(0).at("text") ==
        "The request has 1 invalid field: see errors.\n#/query: is required");
  CHECK(invalid.at("structuredContent").at("status") == 422);
}
