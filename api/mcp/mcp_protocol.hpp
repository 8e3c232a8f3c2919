#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/mcp/json_rpc.hpp"
#include "api/mcp/memory_tools.hpp"

// The MCP server side of one POST to the MCP endpoint, stateless for every revision it speaks:
// 2025-06-18 and 2025-11-25 (initialize handshake, then MCP-Protocol-Version on each request) and
// 2026-07-28 (no handshake: each request carries its version and the client's capabilities in
// params._meta, mirrored in the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers). Nothing
// is remembered between requests, so any replica answers any of them. Pure: tool calls are
// handed back to the caller to run.
namespace gpt_adapter::api::mcp {

inline constexpr std::string_view stateless_version = "2026-07-28";
inline constexpr std::string_view latest_handshake_version = "2025-11-25";
// Newest first.
const std::vector<std::string>& supported_versions();

// The headers of the POST that the protocol checks (absent headers are std::nullopt).
struct post_headers {
  std::optional<std::string> protocol_version;  // MCP-Protocol-Version
  std::optional<std::string> method;            // Mcp-Method
  std::optional<std::string> name;              // Mcp-Name
};

struct server_description {
  std::string name;
  std::string version;
  std::string instructions;  // what the model reads to decide when to use the tools
};

// An answer ready to send: `body` as application/json with `status`, or 202 without a body for a
// notification or a client's response.
struct reply {
  int status = 200;
  std::optional<boost::json::object> body;
};

// A tools/call of a known tool, to run as its operation.
struct tool_call {
  boost::json::value id;
  const tool* called = nullptr;
  boost::json::object arguments;
  bool stateless = false;  // a 2026-07-28 request: results carry resultType and serverInfo
};

using post_outcome = std::variant<reply, tool_call>;

// What to do with one POST body. JSON-RPC errors in a well-formed request are answered with 200;
// the 2026-07-28 transport's own checks (unsupported version, headers that differ from the body,
// missing _meta) with 400, an unknown method of that revision with 404, as it specifies. A
// request without MCP-Protocol-Version after the handshake is served as 2025-06-18 (the oldest
// revision we speak; earlier ones allowed the batches we refuse).
post_outcome handle_post(const post_headers& headers, std::string_view body,
                         const std::vector<tool>& tools, const server_description& server);

// The answer to `call` whose CallToolResult is `result`.
reply tool_call_reply(const tool_call& call, boost::json::object result,
                      const server_description& server);

}  // namespace gpt_adapter::api::mcp
