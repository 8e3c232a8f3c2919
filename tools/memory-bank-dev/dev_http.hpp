#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/http/router.hpp"

// What both dialects of the dev Memory Bank share: JSON answers carrying the Memory Bank's own
// request id, query strings, and the guard every mem0 route runs behind.
namespace gpt_adapter::memory_bank_dev {

// Who called, once the dialect's credentials check passed.
struct caller {
  bool admin = false;  // the open-source server's admin role (ADMIN_API_KEY, or auth disabled)
};

using dialect_handler =
    std::function<boost::asio::awaitable<http::response>(http::request_context&, const caller&)>;

// A dialect_handler that runs `member` of the dialect's server object, which it keeps alive.
template <typename Server, typename Member>
dialect_handler bind_route(std::shared_ptr<Server> server, Member member) {
  return [server = std::move(server), member](http::request_context& context, const caller& who) {
    return ((*server).*member)(context, who);
  };
}

// Wraps a route of the dialect: counts it under `operation`, applies the injected faults and the
// dialect's credentials check, then runs it.
using route_guard = std::function<http::handler(std::string operation, dialect_handler inner)>;

http::response json_answer(const http::request_context& context, boost::beast::http::status code,
                           const boost::json::value& body);

std::map<std::string, std::string> query_parameters(std::string_view query);
// A whole decimal integer (a query parameter's value), or nullopt.
std::optional<int> parse_int(std::string_view text);

std::optional<std::string> string_at(const boost::json::object& object, std::string_view name);

// The body parsed as JSON, or nullopt when it is not JSON.
std::optional<boost::json::value> parsed_body(const http::request_context& context);

}  // namespace gpt_adapter::memory_bank_dev
