#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "api/request_auth/authenticator.hpp"
#include "common/http/router.hpp"

namespace gpt_adapter::api::request_auth {

using protected_handler = std::function<boost::asio::awaitable<http::response>(
    http::request_context&, const caller_identity&)>;

// The front door a route belongs to: which access tokens it takes and what its challenges say.
struct front_door {
  std::string name = "actions";  // caller_identity::door, recorded in audit events
  // The resource (RFC 8707) its tokens must be issued for; empty for the token issuer's pinned
  // audience, the Actions API, which API keys belong to as well.
  std::string audience;
  // The protected resource metadata URL (RFC 9728) that its 401 and 403 challenges name; empty
  // for none.
  std::string resource_metadata;
};

// An API route that only authenticated callers reach: the one way to register one (see
// request_authorization::add). The handler runs after authentication, the scope check and the
// rate limit, and gets the caller.
struct protected_route {
  http::verb method;
  std::string pattern;  // as for http::router, e.g. "/api/v1/memories/{memory_id}"
  // The scope the caller needs (canonical or the seeds' alias spelling); std::nullopt when any
  // authenticated caller may use the route.
  std::optional<std::string_view> required_scope;
  protected_handler handle;
  front_door door;
};

// What a protected route declared, e.g. for the OpenAPI document's `security` requirements.
struct route_requirement {
  http::verb method;
  std::string pattern;
  std::optional<std::string> required_scope;  // canonical spelling
  front_door door;
};

}  // namespace gpt_adapter::api::request_auth
