#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "api/request_auth/api_key_cache.hpp"
#include "api/request_auth/application_cache.hpp"
#include "api/request_auth/authenticator.hpp"
#include "api/request_auth/end_user_cache.hpp"
#include "api/request_auth/protected_route.hpp"
#include "api/request_auth/rate_limiter.hpp"
#include "api/request_auth/request_auth_settings.hpp"
#include "api/request_auth/verified_token_cache.hpp"
#include "common/redis/subscriber.hpp"
#include "common/service/dependencies.hpp"

namespace gpt_adapter::api::request_auth {

// Authorization of every API route: bearer authentication (access tokens and API keys), scope
// checks and per-application rate limits, with the application, API-key and end-user caches
// kept fresh by the Redis invalidation channels (one subscription serves them all). Routes go
// through add(), which wraps their handler:
//   401 + WWW-Authenticate error="invalid_token" (no error attribute when nothing was offered)
//   -> revoked access token (401) and rate limit (429 + Retry-After; RateLimit-Policy and
//      RateLimit on every answer from here), in one Redis script
//   -> 403 error="insufficient_scope" -> the handler, with the caller's identity.
class request_authorization : public std::enable_shared_from_this<request_authorization> {
  struct private_tag {};

 public:
  // `keys` and `token_settings` must outlive this object (they belong to the token issuer).
  static std::shared_ptr<request_authorization> create(
      boost::asio::any_io_executor executor, const request_auth_settings& settings,
      const auth::key_set& keys, const auth::access_token_settings& token_settings,
      const service::dependencies& dependencies, redis::connection_options redis_options,
      metrics::registry& metrics);
  request_authorization(private_tag, boost::asio::any_io_executor executor,
                        const request_auth_settings& settings, const auth::key_set& keys,
                        const auth::access_token_settings& token_settings,
                        const service::dependencies& dependencies,
                        redis::connection_options redis_options, metrics::registry& metrics);

  // Subscribes to the invalidation channels (in the background; reconnects forever).
  void start();
  // Unsubscribes. Idempotent.
  void stop();

  // Registers `route` on `routes` behind authentication, its scope and the rate limit. Throws
  // std::invalid_argument for a scope the adapter does not know.
  void add(http::router& routes, protected_route route);
  // Every route added so far, with its requirement.
  const std::vector<route_requirement>& requirements() const { return requirements_; }
  // The handler of the route added for `method` and `pattern` (what runs after the guard), for a
  // front door that authenticates once and then runs operations in-process; null when none.
  const protected_handler* handler(http::verb method, std::string_view pattern) const;
  // Throws the 403 insufficient_scope problem (with `headers` besides its challenge) unless the
  // caller was granted `scope` (canonical spelling): what the guard does for a route's scope, for
  // a door that checks each operation's scope itself.
  void require_scope(const caller_identity& caller, std::string_view scope, const front_door& door,
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

  application_cache& applications() { return applications_; }
  end_user_cache& end_users() { return end_users_; }
  rate_limiter& limiter() { return limiter_; }
  bool subscribed() const { return subscriber_ && subscriber_->subscribed(); }

 private:
  boost::asio::awaitable<http::response> guard(const route_requirement& requirement,
                                               const protected_handler& handle,
                                               http::request_context& context);

  request_auth_settings settings_;
  application_cache applications_;
  end_user_cache end_users_;
  api_key_cache api_keys_;
  verified_token_cache tokens_;
  authenticator authenticator_;
  rate_limiter limiter_;
  boost::asio::any_io_executor executor_;
  redis::connection_options redis_options_;
  std::shared_ptr<redis::subscriber> subscriber_;  // from start()
  std::vector<route_requirement> requirements_;
  std::map<std::pair<http::verb, std::string>, protected_handler, std::less<>> handlers_;
};

}  // namespace gpt_adapter::api::request_auth
