#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/auth/value_or_error.hpp"

// JSON-RPC 2.0 as MCP uses it over HTTP: one message per POST (batches were removed in MCP
// 2025-06-18 and no revision we serve has them). Pure.
namespace gpt_adapter::api::mcp {

namespace error_codes {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
// MCP 2026-07-28.
inline constexpr int header_mismatch = -32020;
inline constexpr int unsupported_protocol_version = -32022;
}  // namespace error_codes

struct rpc_error {
  int code = error_codes::internal_error;
  std::string message;
  boost::json::value id = nullptr;    // the request's id, null when it is unknown
  boost::json::value data = nullptr;  // omitted when null
};

enum class message_kind { request, notification, response };

struct message {
  message_kind kind = message_kind::request;
  boost::json::value id = nullptr;  // requests and responses
  std::string method;               // requests and notifications
  boost::json::object params;       // {} when absent
};

// One client message: -32700 for a body that is not JSON, -32600 for a batch or anything that is
// not a JSON-RPC 2.0 request, notification or response (with the id when the body has a usable
// one), -32602 for params that are not an object.
auth::value_or_error<message, rpc_error> parse_message(std::string_view body);

boost::json::object result_message(const boost::json::value& id, boost::json::object result);
boost::json::object error_message(const rpc_error& error);

}  // namespace gpt_adapter::api::mcp
