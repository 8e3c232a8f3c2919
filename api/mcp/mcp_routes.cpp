#include "api/mcp/mcp_routes.hpp"

#include <memory>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "api/mcp/mcp_protocol.hpp"
#include "api/memory/memory_api_docs.hpp"
#include "common/auth/scopes.hpp"
#include "common/http/cors.hpp"
#include "common/http/media_type.hpp"

namespace gpt_adapter::api::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;
using request_auth::caller_identity;

struct mcp_state {
  request_auth::request_authorization& authorization;
  const http::router& routes;
  std::vector<tool> tools;
  server_description server;
  std::string public_origin;  // PUBLIC_BASE_URL's origin: the adapter's own pages
  request_auth::front_door door;
};

[[noreturn]] void refuse(bhttp::status status, std::string detail,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
  throw http::problem_error(
      http::problem{.status = status, .detail = std::move(detail), .headers = std::move(headers)});
}

std::optional<std::string> header(const http::request& message, std::string_view name) {
  const auto found = message.find(name);
  if (found == message.end()) {
    return std::nullopt;
  }
  return std::string(found->value());
}

bool lists_media_type(std::string_view accept, std::string_view media_type) {
  return accept.find(media_type) != std::string_view::npos || accept.find("*/*") != accept.npos;
}

// The transport's checks before the body is read: browsers only from the allowed origins (a
// page elsewhere must not drive a user's MCP session, DNS rebinding included), a JSON body, and
// a client that takes both answer types.
void check_transport(const mcp_state& state, const http::request& message) {
  const auto origin = message[bhttp::field::origin];
  if (!origin.empty() && origin != state.public_origin &&
      !(state.routes.cors() && state.routes.cors()->allows(origin))) {
    refuse(bhttp::status::forbidden,
           "This Origin may not use the MCP endpoint (see CORS_ALLOWED_ORIGINS).");
  }
  if (!http::is_json_media_type(message[bhttp::field::content_type])) {
    refuse(bhttp::status::unsupported_media_type,
           "Send the JSON-RPC message as application/json (Content-Type: application/json).");
  }
  const auto accept = message[bhttp::field::accept];
  if (!lists_media_type(accept, "application/json") ||
      !lists_media_type(accept, "text/event-stream")) {
    refuse(bhttp::status::not_acceptable,
           "The MCP client must accept application/json and text/event-stream (Accept).");
  }
}

http::response json_answer(const http::request_context& context, const reply& answer) {
  http::response response{static_cast<bhttp::status>(answer.status), context.message.version()};
  response.set(bhttp::field::cache_control, "no-store");
  if (answer.body) {
    response.set(bhttp::field::content_type, "application/json");
    response.body() = json::serialize(*answer.body);
  }
  response.prepare_payload();
  return response;
}

// Runs the tool's operation in-process: the request it would be at the Actions door, handed to
// that route's handler with the caller already authenticated and counted against the limit.
asio::awaitable<json::object> run_tool(const mcp_state& state, http::request_context& context,
                                       const caller_identity& caller, const tool_call& call) {
  const auto& operation = *call.called->operation;
  if (operation.required_scope) {
    state.authorization.require_scope(caller, *operation.required_scope, state.door);
  }
  const auto request = http_call_for(*call.called, call.arguments);
  if (!request) {
    co_return tool_result(422, json::serialize(json::object{{"detail", request.error()}}));
  }
  const auto* handle = state.authorization.handler(operation.method, operation.path);
  if (!handle) {
    throw std::logic_error("no handler for the tool " + operation.operation_id);
  }
  http::request inner{operation.method, request->target, context.message.version()};
  if (!request->body.empty()) {
    inner.set(bhttp::field::content_type, "application/json");
    inner.body() = request->body;
  }
  inner.prepare_payload();
  const std::string_view target = request->target;
  const auto query_start = target.find('?');
  http::request_context inner_context{
      .message = inner,
      .request_id = context.request_id,
      .path = target.substr(0, query_start),
      .query = query_start == target.npos ? std::string_view() : target.substr(query_start + 1),
      .path_params = state.routes.find(operation.method, target.substr(0, query_start)).path_params,
      .remote_address = context.remote_address};
  std::optional<http::response> answer;
  std::optional<http::problem> refused;
  try {
    answer = co_await (*handle)(inner_context, caller);
  } catch (const http::problem_error& error) {
    refused = error.details();
  }
  if (refused) {
    const auto problem = http::make_problem_response(*refused, inner_context.path,
                                                     context.request_id, inner.version());
    co_return tool_result(static_cast<int>(refused->status), problem.body());
  }
  co_return tool_result(static_cast<int>(answer->result_int()), answer->body());
}

asio::awaitable<http::response> handle_post(const std::shared_ptr<const mcp_state>& state,
                                            http::request_context& context,
                                            const caller_identity& caller) {
  check_transport(*state, context.message);
  const post_headers headers{.protocol_version = header(context.message, "MCP-Protocol-Version"),
                             .method = header(context.message, "Mcp-Method"),
                             .name = header(context.message, "Mcp-Name")};
  auto outcome = mcp::handle_post(headers, context.message.body(), state->tools, state->server);
  if (const auto* answer = std::get_if<reply>(&outcome)) {
    co_return json_answer(context, *answer);
  }
  const auto& call = std::get<tool_call>(outcome);
  auto result = co_await run_tool(*state, context, caller, call);
  co_return json_answer(context, tool_call_reply(call, std::move(result), state->server));
}

// The protected resource metadata (RFC 9728 §2) of the MCP endpoint.
json::object resource_metadata(const mcp_route_settings& settings) {
  return {{"resource", mcp_resource(settings.public_base_url)},
          {"authorization_servers", json::array{json::string(settings.issuer)}},
          {"scopes_supported", json::array{json::string(auth::memories_read_scope),
                                           json::string(auth::memories_write_scope)}},
          {"bearer_methods_supported", json::array{"header"}},
          {"resource_name", "Memory Bank"},
          {"resource_documentation", settings.public_base_url + "/docs"}};
}

}  // namespace

void add_mcp_routes(request_auth::request_authorization& authorization, http::router& routes,
                    mcp_route_settings settings) {
  const auto document = memory::api_document_settings(settings.public_base_url, settings.version);
  const auto state = std::make_shared<const mcp_state>(
      mcp_state{.authorization = authorization,
                .routes = routes,
                .tools = make_tools(memory::api_operations(), document.schemas),
                .server = {.name = "gpt-adapter",
                           .version = settings.version,
                           .instructions = document.description},
                .public_origin = std::string(origin_of(settings.public_base_url)),
                .door = {.name = "mcp",
                         .audience = mcp_resource(settings.public_base_url),
                         .resource_metadata = resource_metadata_url(settings.public_base_url)}});
  authorization.add(routes,
                    {.method = http::verb::post,
                     .pattern = std::string(mcp_path),
                     .required_scope = std::nullopt,
                     .handle =
                         [state](http::request_context& context, const caller_identity& caller) {
                           return handle_post(state, context, caller);
                         },
                     .door = state->door});
  // Stateless: no stream to open with GET and no session to end with DELETE (405 tells clients
  // so, as the transport specifies).
  const auto not_allowed = [](http::request_context&) -> asio::awaitable<http::response> {
    refuse(bhttp::status::method_not_allowed,
           "The MCP endpoint is stateless: it offers no event stream to GET and no session to "
           "DELETE; POST each message.",
           {{"Allow", "POST"}});
  };
  routes.add(http::verb::get, std::string(mcp_path), not_allowed);
  routes.add(http::verb::delete_, std::string(mcp_path), not_allowed);

  const auto metadata =
      std::make_shared<const std::string>(json::serialize(resource_metadata(settings)));
  const auto serve_metadata =
      [metadata](http::request_context& context) -> asio::awaitable<http::response> {
    http::response answer{bhttp::status::ok, context.message.version()};
    answer.set(bhttp::field::content_type, "application/json");
    answer.set(bhttp::field::cache_control, "public, max-age=3600");
    answer.body() = *metadata;
    answer.prepare_payload();
    co_return answer;
  };
  routes.add(http::verb::get, resource_metadata_suffixed_path(settings.public_base_url),
             serve_metadata);
  routes.add(http::verb::get, std::string(resource_metadata_path), serve_metadata);
}

}  // namespace gpt_adapter::api::mcp
