#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "api/openapi/openapi_document.hpp"
#include "common/auth/value_or_error.hpp"

// The MCP tools, generated from the same operation table as the OpenAPI document so that the two
// front doors cannot drift: one tool per operation, named by its operationId, whose call becomes
// the operation's HTTP request and whose answer becomes the tool's result. Pure.
namespace gpt_adapter::api::mcp {

struct tool {
  const openapi::operation_doc* operation = nullptr;  // what a call of the tool runs
  boost::json::object definition;                     // the Tool object of tools/list
};

// One tool per operation. The input schema holds the path and query parameters and the
// properties of the request body's schema (resolved in `schemas`, the document's
// components/schemas); the annotations repeat the operation's read_only, consequential
// (destructiveHint) and idempotent. Throws std::logic_error when two inputs of one operation share
// a name or a body schema is missing.
std::vector<tool> make_tools(const std::vector<openapi::operation_doc>& operations,
                             const boost::json::object& schemas);

struct http_call {
  http::verb method = http::verb::get;
  std::string target;  // path and query string
  std::string body;    // JSON; empty when the operation takes no body
};

// The request that a call of `called` with `arguments` makes, or what is wrong with the
// arguments in a sentence the model can act on (unknown names, a path parameter that is not a
// non-empty string, a query parameter that is not a string or integer). The operation validates
// the body itself, as it does for the Actions door.
auth::value_or_error<http_call, std::string> http_call_for(const tool& called,
                                                           const boost::json::object& arguments);

// The CallToolResult for the operation's answer with `status` and JSON `body`: a success's body
// as structuredContent and as text; a problem (RFC 9457) as isError with its detail as text and
// the problem as structuredContent, so both doors say the same thing about a failure.
boost::json::object tool_result(int status, std::string_view body);

}  // namespace gpt_adapter::api::mcp
