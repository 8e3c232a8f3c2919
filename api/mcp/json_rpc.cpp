#include "api/mcp/json_rpc.hpp"

#include <boost/json/parse.hpp>

namespace gpt_adapter::api::mcp {
namespace {

namespace json = boost::json;

// JSON-RPC ids are strings or integers (MCP forbids null ids on requests).
bool is_usable_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64();
}

rpc_error invalid(std::string text, json::value id = nullptr) {
  return {.code = error_codes::invalid_request, .message = std::move(text), .id = std::move(id)};
}

}  // namespace

auth::value_or_error<message, rpc_error> parse_message(std::string_view body) {
  boost::system::error_code failure;
  auto parsed = json::parse(body, failure);
  if (failure) {
    return rpc_error{.code = error_codes::parse_error, .message = "Parse error: not JSON."};
  }
  if (parsed.is_array()) {
    return invalid("Invalid Request: batches are not supported; send one message per request.");
  }
  if (!parsed.is_object()) {
    return invalid("Invalid Request: a JSON-RPC message is an object.");
  }
  auto& object = parsed.as_object();
  const auto* id = object.if_contains("id");
  json::value usable_id = id && is_usable_id(*id) ? *id : json::value(nullptr);
  const auto* version = object.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->as_string() != "2.0") {
    return invalid(R"(Invalid Request: "jsonrpc" must be "2.0".)", usable_id);
  }
  if (id && !is_usable_id(*id)) {
    return invalid("Invalid Request: the id must be a string or an integer.");
  }
  const auto* method = object.if_contains("method");
  if (!method) {
    if (id && (object.contains("result") || object.contains("error"))) {
      return message{.kind = message_kind::response, .id = *id};
    }
    return invalid(R"(Invalid Request: "method" is missing.)", usable_id);
  }
  if (!method->is_string()) {
    return invalid(R"(Invalid Request: "method" must be a string.)", usable_id);
  }
  message parsed_message{.kind = id ? message_kind::request : message_kind::notification,
                         .id = usable_id,
                         .method = std::string(method->as_string())};
  if (const auto* params = object.if_contains("params")) {
    if (!params->is_object()) {
      return rpc_error{.code = error_codes::invalid_params,
                       .message = R"(Invalid params: "params" must be an object.)",
                       .id = usable_id};
    }
    parsed_message.params = params->as_object();
  }
  return parsed_message;
}

json::object result_message(const json::value& id, json::object result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json::object error_message(const rpc_error& error) {
  json::object body{{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) {
    body["data"] = error.data;
  }
  return {{"jsonrpc", "2.0"}, {"id", error.id}, {"error", std::move(body)}};
}

}  // namespace gpt_adapter::api::mcp
