#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/auth/oauth_error.hpp"
#include "common/auth/value_or_error.hpp"

// Parsing of a request to the token endpoint (RFC 6749 §3.2, §4.1.3, §4.4.2, §6) into what the
// grant handlers need. Pure: no lookups, no credential checks.
namespace gpt_adapter::auth {

enum class grant_type { authorization_code, refresh_token, client_credentials };

std::string_view grant_type_name(grant_type type);

// How the client presented its credentials: HTTP Basic (client_secret_basic), body parameters
// (client_secret_post), or only a client_id in the body (a public client, which must use PKCE).
enum class client_auth_method { basic, post, none };

struct token_request {
  grant_type grant;
  std::string client_id;
  std::string client_secret;  // empty for client_auth_method::none
  client_auth_method auth_method = client_auth_method::none;
  std::string code;
  std::string redirect_uri;
  std::string code_verifier;
  std::string refresh_token;
  // Absent, or present and possibly empty: ChatGPT sends `scope=` for an empty scope field, which
  // the grant handler takes as the application's defaults.
  std::optional<std::string> scope;
  // The resource indicator (RFC 8707); empty when none was sent.
  std::string resource;
};

// Parses a token request from its Content-Type, body and Authorization header (if any).
//
// Bodies: application/x-www-form-urlencoded (percent-decoding, '+' as space), which RFC 6749
// requires, or application/json with string members, which the seeds document. Any other media
// type, undecodable escapes, control characters, a parameter given twice, or a non-string JSON
// member is invalid_request. Parameters other than scope that are sent empty count as absent
// (RFC 6749 §3.1); unknown parameters are ignored.
//
// Client credentials: an Authorization header must be `Basic` with base64 of
// urlencoded(client_id) ":" urlencoded(client_secret) (RFC 6749 §2.3.1), or the request fails
// with invalid_client. Credentials both in the header and in the body are invalid_request
// (RFC 6749 §2.3), as is a body client_id that differs from the header's. No client_id anywhere
// is invalid_client.
//
// Grants: a missing grant_type is invalid_request, an unknown one unsupported_grant_type;
// authorization_code needs `code` and refresh_token needs `refresh_token` (invalid_request).
// In JSON bodies duplicate members cannot be detected: the last one wins.
value_or_error<token_request, oauth_error> parse_token_request(
    std::string_view content_type, std::string_view body,
    std::optional<std::string_view> authorization);

// Decodes one application/x-www-form-urlencoded component: "%XX" escapes and '+' as a space.
// std::nullopt for a '%' not followed by two hex digits.
std::optional<std::string> form_url_decode(std::string_view text);

// A request to the revocation (RFC 7009 §2.1) or introspection (RFC 7662 §2.1) endpoint: the
// token, an optional hint, and the client's credentials, parsed exactly as for the token
// endpoint (same bodies, same client authentication rules). A missing token is invalid_request.
struct token_management_request {
  std::string client_id;
  std::string client_secret;
  client_auth_method auth_method = client_auth_method::none;
  std::string token;
  std::string token_type_hint;  // empty when absent
};

value_or_error<token_management_request, oauth_error> parse_token_management_request(
    std::string_view content_type, std::string_view body,
    std::optional<std::string_view> authorization);

// The parameters of application/x-www-form-urlencoded text (a body or a query string), each
// decoded; a name given twice or an undecodable escape is invalid_request.
using form_parameters = std::map<std::string, std::string, std::less<>>;
value_or_error<form_parameters, oauth_error> parse_form_parameters(std::string_view text);

}  // namespace gpt_adapter::auth
