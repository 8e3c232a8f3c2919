#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "api/request_auth/api_key_cache.hpp"
#include "api/request_auth/application_cache.hpp"
#include "api/request_auth/end_user_cache.hpp"
#include "api/request_auth/verified_token_cache.hpp"
#include "common/auth/access_token.hpp"
#include "common/auth/value_or_error.hpp"
#include "common/http/router.hpp"
#include "common/metrics/registry.hpp"

namespace gpt_adapter::api::request_auth {

enum class credential_kind { access_token, api_key };

std::string_view credential_kind_name(credential_kind kind);

// Who is calling, once the credential has been verified.
struct caller_identity {
  std::string application_id;
  std::string client_id;
  std::string application_name;
  // The signed-in end user: set for tokens from the authorization code flow, whose `sub` is the
  // end user; a client-credentials token's `sub` is the client_id itself, and an API key acts
  // for the application alone.
  std::optional<std::string> end_user_id;
  // What the credential was granted, narrowed to what the application may still use (an
  // operator may have removed a scope since).
  auth::scope_set scopes;
  credential_kind credential = credential_kind::access_token;
  std::string credential_id;  // the token's jti or the API key's id, for audit and logs
  // The resource (RFC 8707) the access token was issued for; empty for the Actions API, whose
  // audience is the token issuer's pinned one, and for API keys.
  std::string audience;
  std::int64_t rate_limit_per_minute = 0;
  // The front door the request came through (protected_route's door), for the audit trail.
  std::string door;
};

// Why a request was not authenticated.
struct authentication_failure {
  // Short, stable, safe to log and to use as a metric label: missing, malformed, the
  // auth::token_error_name, revoked, unknown_api_key, unknown_application, end_user_disabled,
  // unknown_end_user...
  std::string reason;
  // For the caller (error_description and problem detail): says what is wrong, never echoes the
  // credential.
  std::string description;
  // False when no bearer credential was offered: RFC 6750 §3.1 then wants a challenge without
  // an error code.
  bool credential_offered = true;
};

// Verifies `Authorization: Bearer <credential>`, which is either an access token (a JWT issued by
// this server's token endpoint) or an API key (auth::api_key_prefix). Tokens are checked by
// auth::verify_access_token (once per token: verified_token_cache) and then, on every request,
// against the cached state of its application (disabled, outdated token version) and of its end
// user (disabled or deleted). The deny-list of revoked
// tokens is not consulted here: the rate limiter's Redis script does it in the same round trip.
class authenticator {
 public:
  authenticator(verified_token_cache& tokens, application_cache& applications,
                end_user_cache& end_users, api_key_cache& api_keys, metrics::registry& metrics);

  // Counts failures in gpt_adapter_api_auth_failures_total{reason}. Throws postgres::error when the
  // database is needed (a cache miss) and fails.
  boost::asio::awaitable<auth::value_or_error<caller_identity, authentication_failure>>
  authenticate(const http::request& message);

  // Counts a failure decided elsewhere (revoked, insufficient_scope) under the same metric.
  void count_failure(std::string_view reason);

 private:
  boost::asio::awaitable<auth::value_or_error<caller_identity, authentication_failure>>
  authenticate_token(std::string_view token);
  boost::asio::awaitable<auth::value_or_error<caller_identity, authentication_failure>>
  authenticate_api_key(std::string_view key);

  verified_token_cache& tokens_;
  application_cache& applications_;
  end_user_cache& end_users_;
  api_key_cache& api_keys_;
  metrics::family<metrics::counter>& failures_;
};

}  // namespace gpt_adapter::api::request_auth
