// HTTP/1.1 request bytes as a client sends them, through what the server does before a handler
// runs: Beast's parser with the listener's default header and body limits, the request id and
// Origin checks, the target split into path and query, routing over the API's route table, and
// the query's form decoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/auth/token_endpoint_request.hpp"
#include "common/config/settings.hpp"
#include "common/http/cors.hpp"
#include "common/http/request_id.hpp"
#include "common/http/router.hpp"

namespace {

namespace bhttp = boost::beast::http;
using gpt_adapter::http::router;
using gpt_adapter::http::verb;

const router& api_routes() {
  static const router routes = [] {
    router table;
    const gpt_adapter::http::handler none;
    for (const auto* path : {"/oauth/token", "/auth/token", "/oauth/revoke", "/oauth/introspect",
                             "/api/v1/search", "/api/v1/memories"}) {
      table.add(verb::post, path, none);
    }
    for (const auto* path :
         {"/oauth/authorize", "/.well-known/jwks.json", "/.well-known/oauth-authorization-server",
          "/api/v1/memories", "/api/v1/memories/{memory_id}",
          "/api/v1/memories/{memory_id}/history", "/api/v1/jobs/{request_id}", "/api/v1/me",
          "/health", "/health/ready", "/metrics", "/openapi.json", "/docs"}) {
      table.add(verb::get, path, none);
    }
    table.add(verb::post, "/oauth/authorize", none);
    table.add(verb::put, "/api/v1/memories/{memory_id}", none);
    table.add(verb::delete_, "/api/v1/memories/{memory_id}", none);
    table.add(verb::delete_, "/api/v1/memories", none);
    return table;
  }();
  return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gpt_adapter::config::http_listener_settings limits;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  parser.body_limit(limits.body_limit);
  parser.eager(true);
  boost::system::error_code error;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty() && !parser.is_done()) {
    const auto used = parser.put(boost::asio::buffer(rest.data(), rest.size()), error);
    if (error == bhttp::error::need_more) {
      break;
    }
    if (error) {
      // What the server answers 400, 413 or 431 with; it reads the Origin for CORS headers.
      (void)gpt_adapter::http::origin_in_header_lines(rest);
      return 0;
    }
    rest.remove_prefix(used);
  }
  if (!parser.is_header_done()) {
    return 0;
  }
  const auto& message = parser.get();
  (void)gpt_adapter::http::is_acceptable_request_id(message["X-Request-ID"]);
  (void)gpt_adapter::http::is_origin(message[bhttp::field::origin]);
  const std::string_view target = message.target();
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  const auto found = api_routes().find(message.method(), path);
  (void)found;
  (void)gpt_adapter::auth::parse_form_parameters(query);
  return 0;
}
