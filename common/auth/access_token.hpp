#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/jws.hpp"
#include "common/auth/scopes.hpp"
#include "common/auth/signing_key.hpp"
#include "common/auth/value_or_error.hpp"

// Access tokens: JWTs (RFC 7519, claims after RFC 9068) signed by the active key of a key_set and
// verified against the whole set. Pure: time is a parameter, so callers and tests control it.
namespace gpt_adapter::auth {

// What the issuer and every verifier agree on.
struct access_token_settings {
  std::string issuer;    // `iss`, pinned
  std::string audience;  // `aud`, pinned
  // The other resources (RFC 8707) this issuer signs tokens for, e.g. the MCP endpoint: a token
  // whose aud is one of them verifies as well, and its claims say which.
  std::vector<std::string> resource_audiences;
  // Tolerated clock difference between replicas for exp, nbf and iat.
  std::chrono::seconds leeway{30};
  // Longer tokens are refused before anything is decoded.
  std::size_t max_token_bytes = 4096;
};

// The claims of an access token (RFC 9068: header typ "at+jwt", iss, sub, aud, client_id, iat,
// exp, jti, scope). `token_use` is always "access" as well: a refresh or any other token signed
// by the same keys can never pass as one.
struct access_token_claims {
  std::string subject;    // `sub`: the end user, or the client itself for client credentials
  std::string client_id;  // `client_id`
  scope_set scopes;       // `scope`, space-separated
  std::string token_id;   // `jti`
  // `aud` when it is one of the settings' resource_audiences (the resource indicator the token
  // was issued for); empty for the pinned audience.
  std::string audience;
  // `ver`: the application's token version when the token was issued; raising the version
  // (secret reset, disabling) invalidates every older token.
  std::int64_t token_version = 0;
  std::chrono::sys_seconds issued_at{};                // `iat`
  std::chrono::sys_seconds expires_at{};               // `exp`
  std::optional<std::chrono::sys_seconds> not_before;  // `nbf`

  bool operator==(const access_token_claims&) const = default;
};

// Claims for a new token: a fresh random jti (128 bits), iat `now`, exp `now + lifetime`.
access_token_claims new_access_token_claims(std::string subject, std::string client_id,
                                            scope_set scopes, std::int64_t token_version,
                                            std::chrono::sys_seconds now,
                                            std::chrono::seconds lifetime);

// The audience of tokens for the resource indicator `resource` (RFC 8707): empty (the pinned
// audience) for none or the pinned audience itself, the resource when it is one of the resource
// audiences; std::nullopt for any other (invalid_target). Compared exactly: the resources are
// canonical URIs we publish.
std::optional<std::string> audience_for_resource(const access_token_settings& settings,
                                                 std::string_view resource);

// The compact JWT for `claims`, signed by the set's active key, with iss from `settings` and aud
// the claims' audience, or the settings' pinned one when that is empty.
std::string encode_access_token(const key_set& keys, const access_token_settings& settings,
                                const access_token_claims& claims);

// Verifies `token` as an access token at time `now`: the JWS checks of verify_jws, a header
// typ "at+jwt" (or "application/at+jwt", or the "JWT" of tokens issued before RFC 9068 was
// followed, still alive at an upgrade), then token_use "access", iss equal to the pinned issuer,
// aud equal to (or, as an array, containing) the pinned audience or a resource audience, exp
// present and after now (minus leeway), nbf and iat not after now (plus leeway), and sub,
// client_id, scope, jti and ver present with their JSON types. Never throws.
value_or_error<access_token_claims, token_failure> verify_access_token(
    const key_set& keys, const access_token_settings& settings, std::string_view token,
    std::chrono::sys_seconds now);

// Whether a token whose `exp` is `expires_at` has expired at `now`, the leeway allowed: the rule
// verify_access_token applies, for callers that keep verified claims.
bool has_expired(const access_token_settings& settings, std::chrono::sys_seconds expires_at,
                 std::chrono::sys_seconds now);

enum class application_status { active, disabled };

// The checks that need the application's current state (from the caller's cache): a disabled
// application's tokens are refused, and so is a token older than the application's current token
// version. std::nullopt when the token may be used.
std::optional<token_failure> check_application_state(const access_token_claims& claims,
                                                     application_status status,
                                                     std::int64_t current_token_version);

}  // namespace gpt_adapter::auth
