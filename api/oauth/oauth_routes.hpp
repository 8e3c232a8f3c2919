#pragma once

#include <memory>

#include "api/api_settings.hpp"
#include "api/oauth/token_issuer.hpp"
#include "common/audit/audit_log.hpp"
#include "common/http/router.hpp"
#include "common/metrics/registry.hpp"
#include "common/postgres/pool.hpp"
#include "common/redis/client.hpp"

// The OAuth 2.0 authorization server of the API: token endpoint (RFC 6749, alias /auth/token),
// authorization endpoint with sign-in and consent, revocation (RFC 7009), introspection
// (RFC 7662), JWKS and metadata (RFC 8414).
namespace gpt_adapter::api::oauth {

struct oauth_context {
  boost::asio::any_io_executor executor;  // for fetching client metadata documents
  oauth_settings settings;
  std::shared_ptr<const token_issuer> issuer;
  std::shared_ptr<postgres::pool> database;
  std::shared_ptr<redis::client> redis;
  std::shared_ptr<audit::audit_log> audit;
  metrics::registry& metrics;
};

// The token issuer for these settings: the key set, issuer, audience and access-token lifetime.
std::shared_ptr<const token_issuer> make_token_issuer(const signing_settings& signing);

// Registers every OAuth route. The handlers share one authorization server object, which owns
// the threads of the slow secret checks; they stop when the router is destroyed.
void add_oauth_routes(http::router& routes, oauth_context context);

}  // namespace gpt_adapter::api::oauth
