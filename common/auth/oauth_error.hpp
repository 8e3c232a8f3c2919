#pragma once

#include <string>
#include <string_view>

// The error codes of the token endpoint (RFC 6749 §5.2).
namespace gpt_adapter::auth {

enum class oauth_error_code {
  invalid_request,
  invalid_client,
  invalid_grant,
  unauthorized_client,
  unsupported_grant_type,
  invalid_scope,
  invalid_target,  // RFC 8707 §2: a resource this server issues no tokens for
};

// The code as it appears in the `error` member of the response.
constexpr std::string_view oauth_error_name(oauth_error_code code) {
  switch (code) {
    case oauth_error_code::invalid_request:
      return "invalid_request";
    case oauth_error_code::invalid_client:
      return "invalid_client";
    case oauth_error_code::invalid_grant:
      return "invalid_grant";
    case oauth_error_code::unauthorized_client:
      return "unauthorized_client";
    case oauth_error_code::unsupported_grant_type:
      return "unsupported_grant_type";
    case oauth_error_code::invalid_scope:
      return "invalid_scope";
    case oauth_error_code::invalid_target:
      return "invalid_target";
  }
  return "invalid_request";
}

// 401 for invalid_client (with a WWW-Authenticate header), 400 for everything else.
constexpr int oauth_error_status(oauth_error_code code) {
  return code == oauth_error_code::invalid_client ? 401 : 400;
}

struct oauth_error {
  oauth_error_code code;
  // For `error_description`: written by the server, never echoing request data.
  std::string description;
};

}  // namespace gpt_adapter::auth
