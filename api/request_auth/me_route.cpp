#include "api/request_auth/me_route.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "api/request_auth/gcra.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

json::object describe(const caller_identity& caller) {
  json::array scopes;
  for (const auto& scope : caller.scopes) {
    scopes.emplace_back(scope);
  }
  json::value end_user = nullptr;
  if (caller.end_user_id) {
    end_user = json::object{{"id", *caller.end_user_id}};
  }
  return {{"application", json::object{{"id", caller.application_id},
                                       {"client_id", caller.client_id},
                                       {"name", caller.application_name}}},
          {"end_user", std::move(end_user)},
          {"scopes", std::move(scopes)},
          {"credential", credential_kind_name(caller.credential)},
          {"rate_limit", json::object{{"policy", "default"},
                                      {"limit", caller.rate_limit_per_minute},
                                      {"window_seconds", rate_limit_window.count()}}}};
}

}  // namespace

void add_me_route(request_authorization& authorization, http::router& routes) {
  authorization.add(
      routes, {.method = bhttp::verb::get,
               .pattern = "/api/v1/me",
               .required_scope = std::nullopt,
               .handle = [](http::request_context& context,
                            const caller_identity& caller) -> asio::awaitable<http::response> {
                 http::response answer{bhttp::status::ok, context.message.version()};
                 answer.set(bhttp::field::content_type, "application/json");
                 answer.set(bhttp::field::cache_control, "no-store");
                 answer.body() = json::serialize(describe(caller));
                 answer.prepare_payload();
                 co_return answer;
               }});
}

}  // namespace gpt_adapter::api::request_auth
