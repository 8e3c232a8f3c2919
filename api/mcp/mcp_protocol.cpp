#include "api/mcp/mcp_protocol.hpp"

#include <algorithm>

#include <boost/json/array.hpp>

namespace gpt_adapter::api::mcp {
namespace {

namespace json = boost::json;

constexpr std::string_view meta_version_key = "io.modelcontextprotocol/protocolVersion";
constexpr std::string_view meta_capabilities_key = "io.modelcontextprotocol/clientCapabilities";
constexpr std::string_view meta_server_info_key = "io.modelcontextprotocol/serverInfo";
// How long a 2026-07-28 client may reuse tools/list and server/discover: the tools change only
// with a new release.
constexpr std::int64_t list_ttl_ms = 300'000;

bool is_supported(std::string_view version) {
  const auto& versions = supported_versions();
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

bool is_handshake_version(std::string_view version) {
  return version != stateless_version && is_supported(version);
}

json::array versions_array() {
  json::array listed;
  for (const auto& version : supported_versions()) {
    listed.emplace_back(version);
  }
  return listed;
}

reply error_reply(int status, rpc_error error) {
  return {.status = status, .body = error_message(error)};
}

reply result_reply(const json::value& id, json::object result) {
  return {.status = 200, .body = result_message(id, std::move(result))};
}

json::object server_info(const server_description& server) {
  return {{"name", server.name}, {"version", server.version}};
}

json::object capabilities() {
  return {{"tools", {{"listChanged", false}}}};
}

json::array tool_definitions(const std::vector<tool>& tools) {
  json::array listed;
  for (const auto& entry : tools) {
    listed.push_back(entry.definition);
  }
  return listed;
}

// Stamps a 2026-07-28 result: every result says it is complete and who answered.
json::object stateless_result(json::object result, const server_description& server) {
  result["resultType"] = "complete";
  result["_meta"] = json::object{{meta_server_info_key, server_info(server)}};
  return result;
}

std::optional<std::string> string_field(const json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  if (!found || !found->is_string()) {
    return std::nullopt;
  }
  return std::string(found->as_string());
}

// tools/call's params: a known tool name and an object of arguments.
std::variant<rpc_error, tool_call> parse_tool_call(const message& request,
                                                   const std::vector<tool>& tools) {
  const auto name = string_field(request.params, "name");
  if (!name) {
    return rpc_error{.code = error_codes::invalid_params,
                     .message = R"(Invalid params: "name" must name a tool.)",
                     .id = request.id};
  }
  const auto found = std::find_if(tools.begin(), tools.end(), [&](const tool& entry) {
    return entry.operation->operation_id == *name;
  });
  if (found == tools.end()) {
    return rpc_error{
        .code = error_codes::invalid_params, .message = "Unknown tool: " + *name, .id = request.id};
  }
  json::object arguments;
  if (const auto* given = request.params.if_contains("arguments")) {
    if (!given->is_object()) {
      return rpc_error{.code = error_codes::invalid_params,
                       .message = R"(Invalid params: "arguments" must be an object.)",
                       .id = request.id};
    }
    arguments = given->as_object();
  }
  return tool_call{.id = request.id, .called = &*found, .arguments = std::move(arguments)};
}

bool lists_from_the_start(const message& request) {
  const auto* cursor = request.params.if_contains("cursor");
  return !cursor || (cursor->is_string() && cursor->as_string().empty());
}

rpc_error unknown_cursor(const message& request) {
  return {.code = error_codes::invalid_params,
          .message = "Invalid params: unknown cursor (every tool is on the first page).",
          .id = request.id};
}

post_outcome handle_stateless(const post_headers& headers, const message& request,
                              const json::object& meta, const std::vector<tool>& tools,
                              const server_description& server) {
  const auto version = string_field(meta, meta_version_key);
  if (!version || *version != stateless_version) {
    return error_reply(400, {.code = error_codes::unsupported_protocol_version,
                             .message = "Unsupported protocol version",
                             .id = request.id,
                             .data = json::object{{"supported", versions_array()},
                                                  {"requested", version.value_or("")}}});
  }
  const auto mismatch = [&](std::string text) {
    return error_reply(400, {.code = error_codes::header_mismatch,
                             .message = "Header mismatch: " + std::move(text),
                             .id = request.id});
  };
  if (headers.protocol_version != version) {
    return mismatch("MCP-Protocol-Version must equal _meta's protocolVersion.");
  }
  if (headers.method != request.method) {
    return mismatch("Mcp-Method must equal the method.");
  }
  if (request.method == "tools/call" && headers.name != string_field(request.params, "name")) {
    return mismatch("Mcp-Name must equal the tool's name.");
  }
  const auto* capabilities_given = meta.if_contains(meta_capabilities_key);
  if (!capabilities_given || !capabilities_given->is_object()) {
    return error_reply(400, {.code = error_codes::invalid_params,
                             .message = "Invalid params: _meta lacks clientCapabilities.",
                             .id = request.id});
  }
  if (request.method == "server/discover") {
    return result_reply(request.id, stateless_result({{"supportedVersions", versions_array()},
                                                      {"capabilities", capabilities()},
                                                      {"instructions", server.instructions},
                                                      {"ttlMs", list_ttl_ms},
                                                      {"cacheScope", "private"}},
                                                     server));
  }
  if (request.method == "tools/list") {
    if (!lists_from_the_start(request)) {
      return error_reply(200, unknown_cursor(request));
    }
    return result_reply(request.id, stateless_result({{"tools", tool_definitions(tools)},
                                                      {"ttlMs", list_ttl_ms},
                                                      {"cacheScope", "private"}},
                                                     server));
  }
  if (request.method == "tools/call") {
    auto parsed = parse_tool_call(request, tools);
    if (auto* error = std::get_if<rpc_error>(&parsed)) {
      return error_reply(200, std::move(*error));
    }
    auto call = std::get<tool_call>(std::move(parsed));
    call.stateless = true;
    return call;
  }
  return error_reply(404, {.code = error_codes::method_not_found,
                           .message = "Method not found: " + request.method,
                           .id = request.id});
}

post_outcome handle_handshake_era(const post_headers& headers, const message& request,
                                  const std::vector<tool>& tools,
                                  const server_description& server) {
  if (request.method == "initialize") {
    const auto offered = string_field(request.params, "protocolVersion");
    const auto chosen = offered && is_handshake_version(*offered)
                            ? *offered
                            : std::string(latest_handshake_version);
    return result_reply(request.id, {{"protocolVersion", chosen},
                                     {"capabilities", capabilities()},
                                     {"serverInfo", server_info(server)},
                                     {"instructions", server.instructions}});
  }
  if (headers.protocol_version && !is_handshake_version(*headers.protocol_version)) {
    if (*headers.protocol_version == stateless_version) {
      return error_reply(400, {.code = error_codes::invalid_params,
                               .message = "Invalid params: a 2026-07-28 request carries _meta "
                                          "with protocolVersion and clientCapabilities.",
                               .id = request.id});
    }
    return error_reply(400, {.code = error_codes::invalid_request,
                             .message = "Unsupported MCP-Protocol-Version",
                             .id = request.id,
                             .data = json::object{{"supported", versions_array()},
                                                  {"requested", *headers.protocol_version}}});
  }
  if (request.method == "ping") {
    return result_reply(request.id, {});
  }
  if (request.method == "tools/list") {
    if (!lists_from_the_start(request)) {
      return error_reply(200, unknown_cursor(request));
    }
    return result_reply(request.id, {{"tools", tool_definitions(tools)}});
  }
  if (request.method == "tools/call") {
    auto parsed = parse_tool_call(request, tools);
    if (auto* error = std::get_if<rpc_error>(&parsed)) {
      return error_reply(200, std::move(*error));
    }
    return std::get<tool_call>(std::move(parsed));
  }
  return error_reply(200, {.code = error_codes::method_not_found,
                           .message = "Method not found: " + request.method,
                           .id = request.id});
}

}  // namespace

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> versions{
      std::string(stateless_version), std::string(latest_handshake_version), "2025-06-18"};
  return versions;
}

post_outcome handle_post(const post_headers& headers, std::string_view body,
                         const std::vector<tool>& tools, const server_description& server) {
  auto parsed = parse_message(body);
  if (!parsed) {
    return error_reply(400, parsed.error());
  }
  const auto& request = parsed.value();
  if (request.kind != message_kind::request) {
    return reply{.status = 202};
  }
  const auto* meta = request.params.if_contains("_meta");
  if (meta && meta->is_object() && meta->as_object().contains(meta_version_key)) {
    return handle_stateless(headers, request, meta->as_object(), tools, server);
  }
  return handle_handshake_era(headers, request, tools, server);
}

reply tool_call_reply(const tool_call& call, json::object result,
                      const server_description& server) {
  return result_reply(
      call.id, call.stateless ? stateless_result(std::move(result), server) : std::move(result));
}

}  // namespace gpt_adapter::api::mcp
