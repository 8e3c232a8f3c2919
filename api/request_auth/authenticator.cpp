#include "api/request_auth/authenticator.hpp"

#include <chrono>

#include "api/request_auth/bearer_challenge.hpp"
#include "common/auth/api_key.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;
using outcome = auth::value_or_error<caller_identity, authentication_failure>;

auth::scope_set intersection(const auth::scope_set& granted, const auth::scope_set& allowed) {
  auth::scope_set both;
  for (const auto& scope : granted) {
    if (allowed.contains(scope)) {
      both.insert(scope);
    }
  }
  return both;
}

std::optional<std::string_view> authorization_header(const http::request& message) {
  const auto found = message.find(boost::beast::http::field::authorization);
  if (found == message.end()) {
    return std::nullopt;
  }
  return std::string_view(found->value().data(), found->value().size());
}

// The token_error cases whose wording a caller may see.
std::string token_description(auth::token_error error) {
  switch (error) {
    case auth::token_error::expired:
      return "The access token expired.";
    case auth::token_error::not_yet_valid:
      return "The access token is not valid yet.";
    case auth::token_error::application_disabled:
      return "The application of this access token is disabled.";
    case auth::token_error::outdated_token_version:
      return "The access token was revoked: the application's credentials changed after it was "
             "issued.";
    default:
      return "The access token is invalid.";
  }
}

}  // namespace

std::string_view credential_kind_name(credential_kind kind) {
  return kind == credential_kind::api_key ? "api_key" : "access_token";
}

authenticator::authenticator(verified_token_cache& tokens, application_cache& applications,
                             end_user_cache& end_users, api_key_cache& api_keys,
                             metrics::registry& metrics)
    : tokens_(tokens),
      applications_(applications),
      end_users_(end_users),
      api_keys_(api_keys),
      failures_(metrics.add_counter("gpt_adapter_api_auth_failures_total",
                                    "API requests refused by bearer authentication or scope "
                                    "checks, by reason.",
                                    {"reason"})) {}

void authenticator::count_failure(std::string_view reason) {
  failures_.labels({std::string(reason)}).inc();
}

asio::awaitable<outcome> authenticator::authenticate(const http::request& message) {
  const auto header = parse_bearer_header(authorization_header(message));
  std::optional<outcome> result;
  if (header.kind == bearer_header::state::absent) {
    result.emplace(authentication_failure{
        .reason = "missing",
        .description = "This API needs an access token or API key as Authorization: Bearer.",
        .credential_offered = false});
  } else if (header.kind == bearer_header::state::malformed) {
    result.emplace(authentication_failure{.reason = "malformed",
                                          .description = "The Authorization header is malformed."});
  } else if (header.token.starts_with(auth::api_key_prefix)) {
    result.emplace(co_await authenticate_api_key(header.token));
  } else {
    result.emplace(co_await authenticate_token(header.token));
  }
  if (!result->ok()) {
    count_failure(result->error().reason);
  }
  co_return std::move(*result);
}

asio::awaitable<outcome> authenticator::authenticate_token(std::string_view token) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto verified = tokens_.verify(token, now);
  if (!verified) {
    const auto& failure = verified.error();
    co_return authentication_failure{.reason = std::string(auth::token_error_name(failure.error)),
                                     .description = token_description(failure.error)};
  }
  const auto& claims = **verified;
  const auto application = co_await applications_.find_by_client_id(claims.client_id);
  if (!application) {
    co_return authentication_failure{
        .reason = "unknown_application",
        .description = "The application of this access token no longer exists."};
  }
  if (const auto refused =
          auth::check_application_state(claims, application->status, application->token_version)) {
    co_return authentication_failure{.reason = std::string(auth::token_error_name(refused->error)),
                                     .description = token_description(refused->error)};
  }
  caller_identity caller{.application_id = application->id,
                         .client_id = application->client_id,
                         .application_name = application->name,
                         .scopes = intersection(claims.scopes, application->scopes),
                         .credential = credential_kind::access_token,
                         .credential_id = claims.token_id,
                         .audience = claims.audience,
                         .rate_limit_per_minute = application->rate_limit_per_minute};
  if (claims.subject != claims.client_id) {
    // Refused at once when an operator disables (or deletes) the end user, although the token
    // itself stays valid until it expires.
    const auto end_user = co_await end_users_.status_of(claims.subject);
    if (end_user == end_user_status::disabled) {
      co_return authentication_failure{
          .reason = "end_user_disabled",
          .description = "The end user of this access token is disabled."};
    }
    if (end_user == end_user_status::unknown) {
      co_return authentication_failure{
          .reason = "unknown_end_user",
          .description = "The end user of this access token no longer exists."};
    }
    caller.end_user_id = claims.subject;
  }
  co_return caller;
}

asio::awaitable<outcome> authenticator::authenticate_api_key(std::string_view key) {
  const authentication_failure unknown{.reason = "unknown_api_key",
                                       .description = "The API key is unknown or revoked."};
  if (!auth::is_api_key_shaped(key)) {
    co_return unknown;
  }
  const auto record = co_await api_keys_.find(key);
  if (!record) {
    co_return unknown;
  }
  const auto application = co_await applications_.find_by_id(record->application_id);
  if (!application) {
    co_return unknown;
  }
  if (application->status != auth::application_status::active) {
    co_return authentication_failure{.reason = "application_disabled",
                                     .description = "The application of this API key is disabled."};
  }
  co_return caller_identity{.application_id = application->id,
                            .client_id = application->client_id,
                            .application_name = application->name,
                            .scopes = intersection(record->scopes, application->scopes),
                            .credential = credential_kind::api_key,
                            .credential_id = record->id,
                            .rate_limit_per_minute = application->rate_limit_per_minute};
}

}  // namespace gpt_adapter::api::request_auth
