#include "api/request_auth/request_authorization.hpp"

#include <stdexcept>

#include "api/request_auth/bearer_challenge.hpp"
#include "common/auth/redis_names.hpp"
#include "common/logging/logger.hpp"
#include "common/postgres/error.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

using header_list = std::vector<std::pair<std::string, std::string>>;

header_list rate_limit_headers(const rate_limit_decision& decision) {
  return {{"RateLimit-Policy", ratelimit_policy_header(decision.limit, rate_limit_window)},
          {"RateLimit", ratelimit_header(decision)}};
}

[[noreturn]] void refuse(http::problem details) {
  throw http::problem_error(std::move(details));
}

}  // namespace

std::shared_ptr<request_authorization> request_authorization::create(
    asio::any_io_executor executor, const request_auth_settings& settings,
    const auth::key_set& keys, const auth::access_token_settings& token_settings,
    const service::dependencies& dependencies, redis::connection_options redis_options,
    metrics::registry& metrics) {
  return std::make_shared<request_authorization>(private_tag{}, std::move(executor), settings, keys,
                                                 token_settings, dependencies,
                                                 std::move(redis_options), metrics);
}

request_authorization::request_authorization(private_tag, asio::any_io_executor executor,
                                             const request_auth_settings& settings,
                                             const auth::key_set& keys,
                                             const auth::access_token_settings& token_settings,
                                             const service::dependencies& dependencies,
                                             redis::connection_options redis_options,
                                             metrics::registry& metrics)
    : settings_(settings),
      applications_(dependencies.database, settings.application_cache_ttl, metrics),
      end_users_(dependencies.database, settings.end_user_cache_ttl, metrics),
      api_keys_(dependencies.database, settings.api_key_cache_ttl),
      tokens_(keys, token_settings, settings.access_token_cache_entries, metrics),
      authenticator_(tokens_, applications_, end_users_, api_keys_, metrics),
      limiter_(dependencies.redis, settings.fail_mode, metrics),
      executor_(std::move(executor)),
      redis_options_(std::move(redis_options)) {}

void request_authorization::start() {
  if (subscriber_) {
    return;
  }
  const std::weak_ptr<request_authorization> self = weak_from_this();
  subscriber_ = redis::subscriber::create(
      executor_,
      {.connection = redis_options_,
       .channels = {std::string(auth::application_invalidation_channel),
                    std::string(auth::end_user_invalidation_channel)}},
      [self](std::string_view channel, std::string_view id) {
        const auto alive = self.lock();
        if (!alive) {
          return;
        }
        if (channel == auth::end_user_invalidation_channel) {
          alive->end_users_.invalidate(id);
        } else {
          alive->applications_.invalidate(id);
          alive->api_keys_.invalidate_application(id);
        }
      },
      [self] {
        // Whatever was published while we were not subscribed is lost: start afresh.
        if (const auto alive = self.lock()) {
          alive->applications_.clear();
          alive->end_users_.clear();
          alive->api_keys_.clear();
        }
      });
  subscriber_->start();
}

void request_authorization::stop() {
  if (subscriber_) {
    subscriber_->stop();
  }
}

void request_authorization::add(http::router& routes, protected_route route) {
  std::optional<std::string> scope;
  if (route.required_scope) {
    const auto canonical = auth::canonical_scope(*route.required_scope);
    if (!canonical) {
      throw std::invalid_argument("route " + route.pattern + " requires an unknown scope '" +
                                  std::string(*route.required_scope) + "'");
    }
    scope = std::string(*canonical);
  }
  requirements_.push_back({route.method, route.pattern, scope, route.door});
  handlers_.emplace(std::pair{route.method, route.pattern}, route.handle);
  const std::weak_ptr<request_authorization> self = weak_from_this();
  routes.add(route.method, route.pattern,
             [self, requirement = requirements_.back(), handle = std::move(route.handle)](
                 http::request_context& context) -> asio::awaitable<http::response> {
               const auto alive = self.lock();
               if (!alive) {
                 refuse({.status = bhttp::status::service_unavailable,
                         .detail = "The service is shutting down."});
               }
               co_return co_await alive->guard(requirement, handle, context);
             });
}

const protected_handler* request_authorization::handler(http::verb method,
                                                        std::string_view pattern) const {
  const auto found = handlers_.find(std::pair{method, std::string(pattern)});
  return found == handlers_.end() ? nullptr : &found->second;
}

void request_authorization::require_scope(
    const caller_identity& caller, std::string_view scope, const front_door& door,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (caller.scopes.contains(scope)) {
    return;
  }
  authenticator_.count_failure("insufficient_scope");
  const auto description = "This operation needs the scope " + std::string(scope) + ".";
  auto challenged = headers;
  challenged.emplace_back("WWW-Authenticate",
                          bearer_challenge(settings_.realm, "insufficient_scope", description,
                                           scope, door.resource_metadata));
  refuse({.status = bhttp::status::forbidden,
          .detail = description,
          .extensions = {{"required_scope", scope}},
          .headers = std::move(challenged)});
}

asio::awaitable<http::response> request_authorization::guard(const route_requirement& requirement,
                                                             const protected_handler& handle,
                                                             http::request_context& context) {
  std::optional<auth::value_or_error<caller_identity, authentication_failure>> authenticated;
  try {
    authenticated.emplace(co_await authenticator_.authenticate(context.message));
  } catch (const postgres::error& failure) {
    logging::error("could not load the caller's application",
                   {{"request_id", context.request_id}, {"error", failure.what()}});
  }
  if (!authenticated) {
    refuse({.status = bhttp::status::service_unavailable,
            .detail = "Credentials cannot be checked right now; retry shortly.",
            .headers = {{"Retry-After", "1"}}});
  }
  const auto& door = requirement.door;
  if (!authenticated->ok()) {
    const auto& failure = authenticated->error();
    refuse({.status = bhttp::status::unauthorized,
            .detail = failure.description,
            .headers = {
                {"WWW-Authenticate",
                 failure.credential_offered
                     ? bearer_challenge(settings_.realm, "invalid_token", failure.description, {},
                                        door.resource_metadata)
                     : bearer_challenge(settings_.realm, {}, {}, {}, door.resource_metadata)}}});
  }
  auto caller = std::move(*authenticated).value();
  caller.door = door.name;
  // A credential is good at the door it was issued for (RFC 8707 audiences; MCP servers must not
  // accept tokens issued for another resource) unless the operator lets both doors share them.
  if (caller.audience != door.audience && !settings_.doors_share_tokens) {
    authenticator_.count_failure("wrong_resource");
    const std::string description =
        caller.credential == credential_kind::api_key
            ? "API keys are not accepted here; sign in with OAuth for this resource."
            : "The access token was issued for another resource.";
    refuse({.status = bhttp::status::unauthorized,
            .detail = description,
            .headers = {
                {"WWW-Authenticate", bearer_challenge(settings_.realm, "invalid_token", description,
                                                      {}, door.resource_metadata)}}});
  }

  // API keys are revoked in their cache; access tokens on the deny-list, which the rate-limit
  // script consults.
  std::optional<std::string> denied_key;
  if (caller.credential == credential_kind::access_token) {
    denied_key = auth::denied_access_token_key(caller.credential_id);
  }
  const auto admitted = co_await limiter_.check(caller.application_id, caller.rate_limit_per_minute,
                                                std::move(denied_key));
  const auto& decision = admitted.decision;
  if (admitted.revoked) {
    authenticator_.count_failure("revoked");
    const std::string description = "The access token was revoked.";
    refuse({.status = bhttp::status::unauthorized,
            .detail = description,
            .headers = {
                {"WWW-Authenticate", bearer_challenge(settings_.realm, "invalid_token", description,
                                                      {}, door.resource_metadata)}}});
  }
  if (!decision) {
    refuse({.status = bhttp::status::service_unavailable,
            .detail = "Rate limiting is unavailable, so requests are refused; retry shortly.",
            .headers = {{"Retry-After", "1"}}});
  }
  auto headers = rate_limit_headers(*decision);
  if (!decision->allowed) {
    headers.emplace_back("Retry-After", std::to_string(retry_after_seconds(*decision)));
    refuse({.status = bhttp::status::too_many_requests,
            .detail = "The application's rate limit of " + std::to_string(decision->limit) +
                      " requests per minute is used up; retry after " +
                      std::to_string(retry_after_seconds(*decision)) + " s.",
            .headers = std::move(headers)});
  }

  if (requirement.required_scope) {
    require_scope(caller, *requirement.required_scope, door, headers);
  }

  std::optional<http::problem> refused;
  http::response answer;
  try {
    answer = co_await handle(context, caller);
  } catch (const http::problem_error& error) {
    refused = error.details();
  }
  if (refused) {
    // The handler's refusal counts against the limit like any answer, so it says so too.
    refused->headers.insert(refused->headers.end(), headers.begin(), headers.end());
    refuse(std::move(*refused));
  }
  for (const auto& [name, value] : headers) {
    answer.set(name, value);
  }
  co_return answer;
}

}  // namespace gpt_adapter::api::request_auth
