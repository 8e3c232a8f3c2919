#pragma once

#include <optional>
#include <string>
#include <string_view>

// The pure parts of RFC 6750 bearer authentication: reading the credential out of an
// Authorization header and writing the WWW-Authenticate challenge of a refusal.
namespace gpt_adapter::api::request_auth {

// What an Authorization header holds for bearer authentication.
struct bearer_header {
  enum class state {
    absent,     // no header, or another scheme (Basic...): no bearer credential was offered
    malformed,  // "Bearer" without a well-formed token68 after it
    present,
  };
  state kind = state::absent;
  std::string_view token;  // when present
};

// Parses `Bearer <token68>` (scheme case-insensitive, RFC 7235 §2.1), one or more spaces
// between. `header` is std::nullopt when the request has none.
bearer_header parse_bearer_header(std::optional<std::string_view> header);

// `Bearer realm="<realm>"` and, when `error` is set, `error="<error>"`,
// `error_description="<description>"` (characters outside RFC 6749's description alphabet and
// quotes are replaced by '?') and `scope="<scope>"` when set (RFC 6750 §3), then
// `resource_metadata="<url>"` when set (RFC 9728 §5.1).
std::string bearer_challenge(std::string_view realm, std::optional<std::string_view> error = {},
                             std::string_view description = {}, std::string_view scope = {},
                             std::string_view resource_metadata = {});

}  // namespace gpt_adapter::api::request_auth
