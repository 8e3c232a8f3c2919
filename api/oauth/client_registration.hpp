#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/auth/scopes.hpp"
#include "common/auth/value_or_error.hpp"

// Clients that register themselves (MCP hosts): the client metadata of Dynamic Client
// Registration (RFC 7591 §2) and of OAuth Client ID Metadata Documents (the same fields, served
// at the URL that is the client_id), checked against what this server supports. Pure.
namespace gpt_adapter::api::oauth {

struct client_metadata {
  std::string client_name;
  std::vector<std::string> redirect_uris;
  // Public clients ("none") have no secret and must use PKCE; "client_secret_basic" and
  // "client_secret_post" get a secret.
  std::string token_endpoint_auth_method;
  auth::scope_set scopes;  // what the client may ask for
};

// RFC 7591 §3.2.2: invalid_redirect_uri or invalid_client_metadata, with a description.
struct registration_error {
  std::string error;
  std::string description;
};

inline constexpr std::size_t max_client_name_chars = 100;
inline constexpr std::size_t max_redirect_uris = 10;

// The metadata of a registration request or a metadata document: redirect_uris (required, each
// registrable: auth::redirect_uri_registration_problem), client_name (at most 100 characters;
// `default_name` when absent), token_endpoint_auth_method (default `default_auth_method`),
// grant_types within authorization_code and refresh_token, response_types within code, scope
// within `grantable` (default all of it), application_type web or native. Unknown members are
// ignored (RFC 7591 §2).
auth::value_or_error<client_metadata, registration_error> parse_client_metadata(
    const boost::json::object& document, std::string_view default_name,
    std::string_view default_auth_method, const auth::scope_set& grantable);

}  // namespace gpt_adapter::api::oauth
