#include "api/oauth/oauth_routes.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/oauth/access_token_denylist.hpp"
#include "api/oauth/authorization_codes.hpp"
#include "api/oauth/authorize_page.hpp"
#include "api/oauth/client_metadata_documents.hpp"
#include "api/oauth/client_registration.hpp"
#include "api/oauth/oauth_store.hpp"
#include "api/oauth/secret_checker.hpp"
#include "api/oauth/sign_in_guard.hpp"
#include "common/auth/pkce.hpp"
#include "common/auth/redirect_uri.hpp"
#include "common/auth/scopes.hpp"
#include "common/auth/secret_hash.hpp"
#include "common/auth/token_endpoint_request.hpp"
#include "common/http/media_type.hpp"
#include "common/logging/logger.hpp"
#include "common/text/percent_encoding.hpp"
#include "common/text/uuid.hpp"

namespace gpt_adapter::api::oauth {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using auth::oauth_error;
using auth::oauth_error_code;
using std::chrono::seconds;

constexpr std::size_t refresh_token_bytes = 32;
constexpr std::string_view realm = "gpt-adapter";
constexpr std::string_view authorize_path = "/oauth/authorize";
constexpr std::string_view registration_path = "/oauth/register";
// The client_id of a client that registered itself says so, as gpta_ marks an operator's.
constexpr std::string_view registered_client_id_prefix = "gptr_";
// The browser cookie that binds a sign-in form's CSRF token to the browser it was sent to.
constexpr std::string_view form_cookie = "gpt_adapter_authorize";
constexpr seconds sign_in_form_lifetime{600};

std::chrono::sys_seconds now_seconds() {
  return std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now());
}

http::response json_response(const http::request_context& context, bhttp::status status,
                             const json::object& body) {
  http::response answer{status, context.message.version()};
  answer.set(bhttp::field::content_type, "application/json");
  // RFC 6749 §5.1: token responses must not be cached.
  answer.set(bhttp::field::cache_control, "no-store");
  answer.set(bhttp::field::pragma, "no-cache");
  answer.body() = json::serialize(body);
  answer.prepare_payload();
  return answer;
}

// RFC 6749 §5.2: {"error", "error_description"}, 400, or 401 with a challenge for invalid_client.
http::response oauth_error_response(const http::request_context& context,
                                    const oauth_error& error) {
  json::object body{{"error", auth::oauth_error_name(error.code)}};
  if (!error.description.empty()) {
    body["error_description"] = error.description;
  }
  auto answer = json_response(
      context, static_cast<bhttp::status>(auth::oauth_error_status(error.code)), body);
  if (error.code == oauth_error_code::invalid_client) {
    answer.set(bhttp::field::www_authenticate, "Basic realm=\"" + std::string(realm) + "\"");
  }
  return answer;
}

http::response html_response(const http::request_context& context, bhttp::status status,
                             std::string body) {
  http::response answer{status, context.message.version()};
  answer.set(bhttp::field::content_type, "text/html; charset=utf-8");
  answer.set(bhttp::field::cache_control, "no-store");
  answer.set("Content-Security-Policy",
             "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  answer.set("X-Frame-Options", "DENY");
  answer.set("Referrer-Policy", "no-referrer");
  answer.body() = std::move(body);
  answer.prepare_payload();
  return answer;
}

http::response redirect_response(const http::request_context& context, std::string location) {
  http::response answer{bhttp::status::see_other, context.message.version()};
  answer.set(bhttp::field::location, location);
  answer.set(bhttp::field::cache_control, "no-store");
  answer.prepare_payload();
  return answer;
}

// `uri` with the parameters appended to its query (RFC 6749 §4.1.2: keep the registered query).
std::string with_query(std::string uri,
                       const std::vector<std::pair<std::string, std::string>>& params) {
  char separator = uri.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : params) {
    uri += separator;
    uri += text::percent_encode(name) + "=" + text::percent_encode(value);
    separator = '&';
  }
  return uri;
}

// std::nullopt when the request has no such header: an empty Authorization header is not the
// same as none.
std::optional<std::string> header_if_present(const http::request_context& context,
                                             bhttp::field field) {
  const auto found = context.message.find(field);
  if (found == context.message.end()) {
    return std::nullopt;
  }
  return std::string(found->value());
}

std::string header_value(const http::request_context& context, bhttp::field field) {
  return header_if_present(context, field).value_or("");
}

std::optional<std::string> cookie_value(const http::request_context& context,
                                        std::string_view name) {
  const auto header = header_value(context, bhttp::field::cookie);
  std::string_view rest = header;
  while (!rest.empty()) {
    auto pair = rest.substr(0, rest.find(';'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

auth::scope_set scope_set_of(const std::vector<std::string>& scopes) {
  return auth::scope_set(scopes.begin(), scopes.end());
}

// The scopes a request asks for: the application's own when absent or blank (ChatGPT sends
// `scope=` for an empty field), else the parsed scopes, which must all be allowed.
auth::value_or_error<auth::scope_set, oauth_error> requested_scopes(
    const std::optional<std::string>& requested, const std::vector<std::string>& allowed) {
  const auto allowed_set = scope_set_of(allowed);
  if (!requested) {
    return allowed_set;
  }
  auto parsed = auth::parse_scopes(*requested);
  if (!parsed) {
    return oauth_error{oauth_error_code::invalid_scope, parsed.error().description()};
  }
  if (parsed->empty()) {
    return allowed_set;
  }
  if (!auth::scopes_within(parsed.value(), allowed_set)) {
    return oauth_error{oauth_error_code::invalid_scope,
                       "the requested scope exceeds what the client is allowed"};
  }
  return std::move(parsed).value();
}

std::optional<std::string> parameter(const auth::form_parameters& params, std::string_view name) {
  const auto found = params.find(name);
  if (found == params.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::string parameter_or_empty(const auth::form_parameters& params, std::string_view name) {
  return parameter(params, name).value_or(std::string());
}

// --- The authorization request, shared by GET (render the form) and POST (sign in) -----------

struct error_page {
  bhttp::status status;
  std::string title;
  std::string message;
};

struct redirect_error {
  std::string redirect_uri;
  std::string error;  // RFC 6749 §4.1.2.1 code
  std::string description;
  std::string state;  // empty when the request had none
};

struct authorization_request {
  client_record client;
  std::string redirect_uri;
  std::string state;
  auth::scope_set scopes;
  std::string code_challenge;
  std::string code_challenge_method;
  std::string resource;  // as requested (RFC 8707); empty when none was named
  std::string audience;  // what the tokens will be for: auth::audience_for_resource(resource)

  // What the CSRF token is bound to: every parameter that decides what is granted.
  std::string digest() const {
    return auth::sha256_hex(client.client_id + '\n' + redirect_uri + '\n' + state + '\n' +
                            auth::format_scopes(scopes) + '\n' + code_challenge + '\n' +
                            code_challenge_method + '\n' + resource);
  }

  std::vector<std::pair<std::string, std::string>> form_fields() const {
    std::vector<std::pair<std::string, std::string>> fields{{"response_type", "code"},
                                                            {"client_id", client.client_id},
                                                            {"redirect_uri", redirect_uri},
                                                            {"state", state},
                                                            {"scope", auth::format_scopes(scopes)}};
    if (!code_challenge.empty()) {
      fields.emplace_back("code_challenge", code_challenge);
      fields.emplace_back("code_challenge_method", code_challenge_method);
    }
    if (!resource.empty()) {
      fields.emplace_back("resource", resource);
    }
    return fields;
  }
};

using validated_request = std::variant<authorization_request, error_page, redirect_error>;

// What the sign-in page says of a client no operator registered: its name is only its own
// claim, so the page names where the sign-in returns to (MCP's client registration rules).
std::string client_notice(const client_record& client, std::string_view redirect_uri) {
  if (client.registration == "operator") {
    return {};
  }
  const auto scheme_end = redirect_uri.find("://");
  const auto host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto host =
      redirect_uri.substr(host_start, redirect_uri.find_first_of("/?", host_start) - host_start);
  const auto how = client.registration == "dynamic"
                       ? std::string("registered itself with this service")
                       : "is described by " + client.client_id;
  return "This application " + how + "; no operator vouches for it. Signing in sends you back to " +
         std::string(host) + ".";
}

error_page bad_request_page(std::string message) {
  return {bhttp::status::bad_request, "This sign-in link is not valid", std::move(message)};
}

// One object behind every OAuth route.
class authorization_server {
 public:
  explicit authorization_server(oauth_context context)
      : context_(std::move(context)),
        checker_(context_.settings.secret_check_threads),
        issued_(context_.metrics.add_counter("gpt_adapter_oauth_tokens_issued_total",
                                             "Access tokens issued, by grant type.", {"grant"})),
        failures_(context_.metrics.add_counter(
            "gpt_adapter_oauth_authentication_failures_total",
            "Failed authentications at the token, authorization, revocation and introspection "
            "endpoints, by reason.",
            {"reason"})),
        limiter_unavailable_(context_.metrics.add_counter(
            "gpt_adapter_oauth_attempt_limiter_unavailable_total",
            "Attempt counts (per client, address or username) kept by this process alone because "
            "Redis, which counts them for every replica, could not be reached.")),
        metadata_documents_(context_.executor, context_.settings.client_metadata,
                            context_.database) {}

  asio::awaitable<http::response> token(http::request_context& context);
  asio::awaitable<http::response> authorize_form(http::request_context& context);
  asio::awaitable<http::response> authorize_sign_in(http::request_context& context);
  asio::awaitable<http::response> revoke(http::request_context& context);
  asio::awaitable<http::response> introspect(http::request_context& context);
  asio::awaitable<http::response> register_client(http::request_context& context);
  http::response jwks(http::request_context& context) const;
  http::response metadata(http::request_context& context) const;

 private:
  // The redirect that ends an authorization request, success or error, with `iss` added to the
  // parameters (RFC 9207 §2: the client checks which server answered, against mix-up attacks).
  http::response authorization_response(
      const http::request_context& context, const std::string& redirect_uri,
      std::vector<std::pair<std::string, std::string>> params) const;
  http::response error_redirect(const http::request_context& context,
                                const redirect_error& error) const;
  struct outcome {
    std::string operation;  // "token", "sign_in", "revoke", "introspect"
    std::string application_id;
    std::optional<std::string> end_user_id;
    std::string client_id;
    std::string grant;
    std::string result;  // "success" or an error code
    int status = 200;
  };

  asio::awaitable<void> record(const http::request_context& context, outcome event);
  // Counts the attempt for each subject; the seconds to wait when one is over its limit.
  asio::awaitable<std::optional<seconds>> over_limit(
      std::vector<std::pair<std::string, int>> subjects);
  // Authenticates the client by its secret (off the I/O threads), or the error to answer.
  asio::awaitable<auth::value_or_error<client_record, oauth_error>> authenticate_client(
      std::string client_id, std::string client_secret, auth::client_auth_method method);
  // A revocation or introspection request (RFC 7009, RFC 7662) from an authenticated client.
  struct management_request {
    auth::token_management_request request;
    client_record client;
    outcome event;  // the audit event so far, to complete and record
  };
  // Parses the request and authenticates its client, or the answer that refuses it (counted
  // and audited already).
  asio::awaitable<auth::value_or_error<management_request, http::response>>
  authenticated_management_request(http::request_context& context, std::string operation);
  asio::awaitable<validated_request> validate(const auth::form_parameters& params);
  asio::awaitable<http::response> render_form(const http::request_context& context,
                                              const authorization_request& request,
                                              std::string username, std::string error);
  asio::awaitable<void> deny_all(const std::vector<revoked_access_token>& revoked);

  asio::awaitable<auth::value_or_error<json::object, oauth_error>> client_credentials_grant(
      const auth::token_request& request, const client_record& client);
  asio::awaitable<auth::value_or_error<json::object, oauth_error>> code_grant(
      const auth::token_request& request, const client_record& client, outcome& event);
  asio::awaitable<auth::value_or_error<json::object, oauth_error>> refresh_grant(
      const auth::token_request& request, const client_record& client, outcome& event);

  json::object token_body(const std::string& access_token, const auth::scope_set& scopes,
                          const std::optional<std::string>& refresh_token) const;
  asio::awaitable<std::string> start_refresh_family(const client_record& client,
                                                    std::optional<std::string> end_user_id,
                                                    const auth::access_token_claims& claims,
                                                    std::string family_id);

  void fail(std::string_view reason) { failures_.labels({std::string(reason)}).inc(); }

  oauth_context context_;
  secret_checker checker_;
  metrics::family<metrics::counter>& issued_;
  metrics::family<metrics::counter>& failures_;
  metrics::family<metrics::counter>& limiter_unavailable_;
  local_attempt_counter local_attempts_;
  std::atomic<bool> counting_locally_{false};
  client_metadata_documents metadata_documents_;
};

oauth_error invalid_grant(std::string description) {
  return {oauth_error_code::invalid_grant, std::move(description)};
}

oauth_error invalid_client(std::string description) {
  return {oauth_error_code::invalid_client, std::move(description)};
}

http::problem too_many_attempts(seconds retry_after) {
  http::problem details{.status = bhttp::status::too_many_requests,
                        .detail = "too many attempts; retry after " +
                                  std::to_string(retry_after.count()) + " seconds"};
  details.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return details;
}

http::response authorization_server::authorization_response(
    const http::request_context& context, const std::string& redirect_uri,
    std::vector<std::pair<std::string, std::string>> params) const {
  params.emplace_back("iss", context_.issuer->settings().issuer);
  return redirect_response(context, with_query(redirect_uri, params));
}

http::response authorization_server::error_redirect(const http::request_context& context,
                                                    const redirect_error& error) const {
  std::vector<std::pair<std::string, std::string>> params{{"error", error.error},
                                                          {"error_description", error.description}};
  if (!error.state.empty()) {
    params.emplace_back("state", error.state);
  }
  return authorization_response(context, error.redirect_uri, std::move(params));
}

asio::awaitable<void> authorization_server::record(const http::request_context& context,
                                                   outcome event) {
  auto entry =
      audit::new_event(event.application_id.empty() ? std::string(audit::unknown_application_id)
                                                    : event.application_id,
                       "oauth_" + event.operation, context.request_id);
  entry.end_user_id = event.end_user_id;
  entry.response_status = event.status;
  entry.request_data = json::object{{"client_id", event.client_id},
                                    {"grant_type", event.grant},
                                    {"outcome", event.result},
                                    {"source_address", context.remote_address.to_string()}};
  co_await context_.audit->record(std::move(entry));
}

asio::awaitable<std::optional<seconds>> authorization_server::over_limit(
    std::vector<std::pair<std::string, int>> subjects) {
  std::optional<seconds> wait;
  for (const auto& [subject, limit] : subjects) {
    attempt_count count;
    try {
      count = co_await count_attempt(*context_.redis, subject);
      if (counting_locally_.exchange(false)) {
        logging::info("attempt limiter reaches Redis again: counting for every replica");
      }
    } catch (const redis::error& failure) {
      // The token endpoint must not go down with Redis, nor stop counting: each process counts
      // on its own until Redis is back.
      limiter_unavailable_.get().inc();
      if (!counting_locally_.exchange(true)) {
        logging::warn("attempt limiter cannot reach Redis: counting per process",
                      {{"error", failure.what()}});
      }
      count = local_attempts_.count(subject, local_attempt_counter::clock::now());
    }
    if (count.attempts > limit) {
      wait = std::max(wait.value_or(seconds(1)), std::max(count.window_remaining, seconds(1)));
    }
  }
  co_return wait;
}

asio::awaitable<auth::value_or_error<client_record, oauth_error>>
authorization_server::authenticate_client(std::string client_id, std::string client_secret,
                                          auth::client_auth_method method) {
  auto client = co_await find_client(*context_.database, client_id);
  // A public client has no secret: it proves nothing here, and PKCE binds its code to it.
  if (client && client->public_client) {
    if (method != auth::client_auth_method::none) {
      co_return invalid_client("a public client authenticates with none (it has no secret)");
    }
    if (!client->active) {
      co_return invalid_client("the client is disabled");
    }
    co_return std::move(*client);
  }
  if (method == auth::client_auth_method::none) {
    co_return invalid_client(
        "client authentication is required (client_secret_basic or "
        "client_secret_post)");
  }
  if (!client) {
    co_await checker_.verify_nothing(std::move(client_secret));
    co_return invalid_client("client authentication failed");
  }
  if (!co_await checker_.verify(std::move(client_secret), client->client_secret_hash)) {
    co_return invalid_client("client authentication failed");
  }
  if (!client->active) {
    co_return invalid_client("the client is disabled");
  }
  co_return std::move(*client);
}

json::object authorization_server::token_body(
    const std::string& access_token, const auth::scope_set& scopes,
    const std::optional<std::string>& refresh_token) const {
  json::object body{{"access_token", access_token},
                    {"token_type", "Bearer"},
                    {"expires_in", context_.issuer->access_token_lifetime().count()},
                    {"scope", auth::format_scopes(scopes)}};
  if (refresh_token) {
    body["refresh_token"] = *refresh_token;
  }
  return body;
}

asio::awaitable<std::string> authorization_server::start_refresh_family(
    const client_record& client, std::optional<std::string> end_user_id,
    const auth::access_token_claims& claims, std::string family_id) {
  auto refresh_token = auth::random_token(refresh_token_bytes);
  new_refresh_family family{.family_id = std::move(family_id),
                            .end_user_id = std::move(end_user_id),
                            .token_hash = auth::sha256_hex(refresh_token),
                            .scope = auth::format_scopes(claims.scopes),
                            .lifetime = context_.settings.refresh_token_lifetime,
                            .idle_timeout = context_.settings.refresh_token_idle_timeout,
                            .access_token_id = claims.token_id,
                            .access_token_expires_at = claims.expires_at,
                            .token_version = client.token_version,
                            .resource = claims.audience};
  co_await insert_refresh_family(*context_.database, client.id, std::move(family));
  co_return refresh_token;
}

asio::awaitable<void> authorization_server::deny_all(
    const std::vector<revoked_access_token>& revoked) {
  const auto now = now_seconds();
  for (const auto& token : revoked) {
    co_await deny_access_token(*context_.redis, token.token_id,
                               std::chrono::duration_cast<seconds>(token.expires_at - now));
  }
}

asio::awaitable<auth::value_or_error<json::object, oauth_error>>
authorization_server::client_credentials_grant(const auth::token_request& request,
                                               const client_record& client) {
  if (client.public_client) {
    co_return oauth_error{oauth_error_code::unauthorized_client,
                          "a public client cannot use client_credentials"};
  }
  auto scopes = requested_scopes(request.scope, client.scopes);
  if (!scopes) {
    co_return scopes.error();
  }
  auto audience = auth::audience_for_resource(context_.issuer->settings(), request.resource);
  if (!audience) {
    co_return oauth_error{oauth_error_code::invalid_target,
                          "this server issues no tokens for that resource"};
  }
  const auto issued =
      context_.issuer->issue(client.client_id, client.client_id, scopes.value(),
                             client.token_version, now_seconds(), std::move(*audience));
  std::optional<std::string> refresh_token;
  if (client.issue_refresh_for_client_credentials) {
    refresh_token =
        co_await start_refresh_family(client, std::nullopt, issued.claims, text::uuid_v4());
  }
  co_return token_body(issued.token, issued.claims.scopes, refresh_token);
}

asio::awaitable<auth::value_or_error<json::object, oauth_error>> authorization_server::code_grant(
    const auth::token_request& request, const client_record& client, outcome& event) {
  const auto family_id = text::uuid_v4();
  auto redemption =
      co_await redeem_authorization_code(*context_.redis, request.code, client.client_id, family_id,
                                         context_.issuer->access_token_lifetime());
  if (!redemption) {
    co_return invalid_grant("the authorization code is invalid, expired or already used");
  }
  const auto& grant = redemption->grant;
  // Before anything else: another client's attempt must neither use the code up nor, as a
  // replay, revoke what its owner obtained with it.
  if (grant.client_id != client.client_id) {
    co_return invalid_grant("the authorization code was issued to another client");
  }
  event.end_user_id = grant.end_user_id;
  if (redemption->earlier_redemption) {
    // RFC 6749 §4.1.2: a code used twice may have been stolen; whatever it produced goes.
    const auto revoked = co_await revoke_family(
        *context_.database, client.id, *redemption->earlier_redemption, "authorization code reuse");
    co_await deny_all(revoked);
    fail("code_reuse");
    logging::warn("authorization code replayed: revoked the tokens it produced",
                  {{"client_id", client.client_id}, {"revoked_access_tokens", revoked.size()}});
    co_return invalid_grant("the authorization code is invalid, expired or already used");
  }
  if (request.redirect_uri != grant.redirect_uri) {
    co_return invalid_grant("redirect_uri differs from the authorization request's");
  }
  if (grant.code_challenge.empty()) {
    if (!request.code_verifier.empty()) {
      co_return invalid_grant(
          "code_verifier given, but the authorization request had no "
          "code_challenge");
    }
  } else {
    const auto method = auth::parse_pkce_method(grant.code_challenge_method);
    if (request.code_verifier.empty()) {
      co_return invalid_grant(
          "code_verifier is required: the authorization request had a "
          "code_challenge");
    }
    if (!method ||
        !auth::verify_code_verifier(request.code_verifier, grant.code_challenge, *method)) {
      co_return invalid_grant("code_verifier does not match the code_challenge");
    }
  }
  auto scopes = auth::parse_scopes(grant.scope);
  if (!scopes) {
    co_return invalid_grant("the authorization code is invalid, expired or already used");
  }
  // RFC 8707 §2.2: the token request may repeat the resource, not change it.
  if (!request.resource.empty() &&
      auth::audience_for_resource(context_.issuer->settings(), request.resource) !=
          grant.resource) {
    co_return oauth_error{oauth_error_code::invalid_target,
                          "the resource differs from the authorization request's"};
  }
  const auto issued = context_.issuer->issue(grant.end_user_id, client.client_id, scopes.value(),
                                             client.token_version, now_seconds(), grant.resource);
  auto refresh_token =
      co_await start_refresh_family(client, grant.end_user_id, issued.claims, family_id);
  co_return token_body(issued.token, issued.claims.scopes, refresh_token);
}

asio::awaitable<auth::value_or_error<json::object, oauth_error>>
authorization_server::refresh_grant(const auth::token_request& request, const client_record& client,
                                    outcome& event) {
  std::optional<std::vector<std::string>> narrowed;
  if (request.scope) {
    auto parsed = auth::parse_scopes(*request.scope);
    if (!parsed) {
      co_return oauth_error{oauth_error_code::invalid_scope, parsed.error().description()};
    }
    if (!parsed->empty()) {
      narrowed = std::vector<std::string>(parsed->begin(), parsed->end());
    }
  }
  // The new access token's jti and expiry go into the new refresh token's row; its subject and
  // scopes come from the family, known once the row is locked.
  auto claims =
      auth::new_access_token_claims({}, client.client_id, {}, client.token_version, now_seconds(),
                                    context_.issuer->access_token_lifetime());
  auto refresh_token = auth::random_token(refresh_token_bytes);
  std::optional<std::string> resource;
  if (!request.resource.empty()) {
    resource = auth::audience_for_resource(context_.issuer->settings(), request.resource);
    if (!resource) {
      co_return oauth_error{oauth_error_code::invalid_target,
                            "this server issues no tokens for that resource"};
    }
  }
  rotation_request rotation_input{.token_hash = auth::sha256_hex(request.refresh_token),
                                  .new_token_hash = auth::sha256_hex(refresh_token),
                                  .scopes = std::move(narrowed),
                                  .resource = std::move(resource),
                                  .current_token_version = client.token_version,
                                  .idle_timeout = context_.settings.refresh_token_idle_timeout,
                                  .access_token_id = claims.token_id,
                                  .access_token_expires_at = claims.expires_at};
  auto rotation =
      co_await rotate_refresh_token(*context_.database, client.id, std::move(rotation_input));
  event.end_user_id = rotation.end_user_id;
  switch (rotation.status) {
    case rotation_status::rotated:
      break;
    case rotation_status::reused:
      co_await deny_all(rotation.revoked);
      fail("refresh_token_reuse");
      event.result = "refresh_token_reuse";
      logging::warn("refresh token reused: revoked its whole family",
                    {{"client_id", client.client_id},
                     {"family_id", rotation.family_id},
                     {"revoked_access_tokens", rotation.revoked.size()}});
      co_return invalid_grant("the refresh token is invalid, expired or revoked");
    case rotation_status::end_user_disabled:
      co_await deny_all(rotation.revoked);
      co_return invalid_grant("the refresh token is invalid, expired or revoked");
    case rotation_status::scope_widened:
      co_return oauth_error{oauth_error_code::invalid_scope,
                            "the requested scope exceeds the scope originally granted"};
    case rotation_status::other_resource:
      co_return oauth_error{oauth_error_code::invalid_target,
                            "the refresh token was granted for another resource"};
    case rotation_status::unknown:
    case rotation_status::revoked:
    case rotation_status::expired:
    case rotation_status::outdated:
      co_return invalid_grant("the refresh token is invalid, expired or revoked");
  }
  auto scopes = auth::parse_scopes(rotation.scope);
  claims.subject = rotation.end_user_id.value_or(client.client_id);
  claims.scopes = scopes ? scopes.value() : auth::scope_set{};
  claims.audience = rotation.resource;
  co_return token_body(context_.issuer->sign(claims), claims.scopes, refresh_token);
}

asio::awaitable<http::response> authorization_server::token(http::request_context& context) {
  const auto address = context.remote_address.to_string();
  const auto authorization = header_if_present(context, bhttp::field::authorization);
  const auto parsed = auth::parse_token_request(header_value(context, bhttp::field::content_type),
                                                context.message.body(), authorization);
  outcome event{.operation = "token", .client_id = parsed ? parsed->client_id : ""};
  if (parsed) {
    event.grant = std::string(auth::grant_type_name(parsed->grant));
  }
  std::vector<std::pair<std::string, int>> subjects{
      {"token-address:" + address, context_.settings.address_attempts_per_minute}};
  if (parsed) {
    subjects.emplace_back("token-client:" + parsed->client_id,
                          context_.settings.client_attempts_per_minute);
  }
  if (const auto wait = co_await over_limit(std::move(subjects))) {
    fail("rate_limited");
    event.result = "rate_limited";
    event.status = 429;
    co_await record(context, std::move(event));
    throw http::problem_error(too_many_attempts(*wait));
  }
  if (!parsed) {
    fail(auth::oauth_error_name(parsed.error().code));
    event.result = auth::oauth_error_name(parsed.error().code);
    event.status = auth::oauth_error_status(parsed.error().code);
    co_await record(context, std::move(event));
    co_return oauth_error_response(context, parsed.error());
  }
  const auto& request = parsed.value();
  auto result = auth::value_or_error<json::object, oauth_error>(
      oauth_error{oauth_error_code::invalid_client, "client authentication failed"});
  const auto client =
      co_await authenticate_client(request.client_id, request.client_secret, request.auth_method);
  if (client) {
    event.application_id = client->id;
    switch (request.grant) {
      case auth::grant_type::client_credentials:
        result = co_await client_credentials_grant(request, client.value());
        break;
      case auth::grant_type::authorization_code:
        result = co_await code_grant(request, client.value(), event);
        break;
      case auth::grant_type::refresh_token:
        result = co_await refresh_grant(request, client.value(), event);
        break;
    }
  } else {
    result = client.error();
  }
  if (!result) {
    const auto code = auth::oauth_error_name(result.error().code);
    if (event.result.empty()) {
      fail(code);
      event.result = code;
    }
    event.status = auth::oauth_error_status(result.error().code);
    co_await record(context, std::move(event));
    co_return oauth_error_response(context, result.error());
  }
  issued_.labels({event.grant}).inc();
  event.result = "success";
  co_await record(context, std::move(event));
  co_return json_response(context, bhttp::status::ok, result.value());
}

asio::awaitable<validated_request> authorization_server::validate(
    const auth::form_parameters& params) {
  const auto client_id = parameter_or_empty(params, "client_id");
  if (client_id.empty()) {
    co_return bad_request_page("The request names no application (client_id is missing).");
  }
  auto document = co_await metadata_documents_.resolve(client_id);
  std::optional<client_record> client;
  if (document) {
    if (!document->ok()) {
      co_return bad_request_page("This application cannot sign you in: " + document->error() + ".");
    }
    client = std::move(*document).value();
  } else {
    client = co_await find_client(*context_.database, client_id);
  }
  if (!client) {
    co_return bad_request_page("The application this link is for is not known here.");
  }
  const auto redirect_uri = parameter_or_empty(params, "redirect_uri");
  if (redirect_uri.empty() || !auth::redirect_uri_allowed(redirect_uri, client->redirect_uris)) {
    co_return bad_request_page(
        "The address to return to (redirect_uri) is not registered for this application.");
  }
  // From here on, errors go back to the client (RFC 6749 §4.1.2.1).
  const auto state = parameter_or_empty(params, "state");
  const auto back = [&](std::string error, std::string description) -> validated_request {
    return redirect_error{redirect_uri, std::move(error), std::move(description), state};
  };
  if (state.empty()) {
    co_return back("invalid_request", "the state parameter is required");
  }
  if (parameter_or_empty(params, "response_type") != "code") {
    co_return back("unsupported_response_type", "only response_type=code is supported");
  }
  if (!client->active) {
    co_return back("unauthorized_client", "the client is disabled");
  }
  auto scopes = requested_scopes(parameter(params, "scope"), client->scopes);
  if (!scopes) {
    co_return back("invalid_scope", scopes.error().description);
  }
  auto challenge = parameter_or_empty(params, "code_challenge");
  auto method_name = parameter_or_empty(params, "code_challenge_method");
  if (challenge.empty()) {
    if (!method_name.empty()) {
      co_return back("invalid_request", "code_challenge_method given without code_challenge");
    }
  } else {
    // RFC 7636 §4.3: no method means plain, which RFC 9700 §2.1.1 says not to use: only S256
    // is accepted, so the method must be named.
    const auto method = auth::parse_pkce_method(method_name);
    if (!method || *method != auth::pkce_method::s256) {
      co_return back("invalid_request",
                     "code_challenge_method must be S256 (plain is not supported)");
    }
    if (!auth::is_valid_code_challenge(challenge, *method)) {
      co_return back("invalid_request", "code_challenge is malformed");
    }
  }
  if (challenge.empty()) {
    method_name.clear();
  }
  const auto resource = parameter_or_empty(params, "resource");
  auto audience = auth::audience_for_resource(context_.issuer->settings(), resource);
  if (!audience) {
    co_return back("invalid_target", "this server issues no tokens for that resource");
  }
  // MCP clients must use PKCE with S256 (MCP authorization), and a public client has nothing
  // else to bind its code to it.
  if ((!audience->empty() || client->public_client) && challenge.empty()) {
    co_return back("invalid_request",
                   client->public_client
                       ? "PKCE (code_challenge with S256) is required"
                       : "PKCE (code_challenge with S256) is required for " + *audience);
  }
  co_return authorization_request{.client = std::move(*client),
                                  .redirect_uri = redirect_uri,
                                  .state = state,
                                  .scopes = std::move(scopes).value(),
                                  .code_challenge = std::move(challenge),
                                  .code_challenge_method = std::move(method_name),
                                  .resource = resource,
                                  .audience = std::move(*audience)};
}

asio::awaitable<http::response> authorization_server::render_form(
    const http::request_context& context, const authorization_request& request,
    std::string username, std::string error) {
  auto cookie = cookie_value(context, form_cookie);
  const bool new_cookie = !cookie || cookie->size() < 32;
  if (new_cookie) {
    cookie = auth::random_token(32);
  }
  const auto csrf = co_await issue_csrf_token(*context_.redis, auth::sha256_hex(*cookie),
                                              request.digest(), sign_in_form_lifetime);
  sign_in_page page{
      .application_name = request.client.name,
      .client_notice = client_notice(request.client, request.redirect_uri),
      .scopes = std::vector<std::string>(request.scopes.begin(), request.scopes.end()),
      .request_fields = request.form_fields(),
      .csrf_token = csrf,
      .form_action = std::string(authorize_path),
      .username = std::move(username),
      .error = std::move(error)};
  auto answer = html_response(context, bhttp::status::ok, render_sign_in_page(page));
  if (new_cookie) {
    const bool secure = context_.settings.public_base_url.starts_with("https://");
    // SameSite=Strict: a cross-site form post carries no cookie, so its CSRF token never matches.
    answer.set(bhttp::field::set_cookie, std::string(form_cookie) + "=" + *cookie +
                                             "; Path=/oauth/authorize; HttpOnly; SameSite=Strict" +
                                             (secure ? "; Secure" : ""));
  }
  co_return answer;
}

asio::awaitable<http::response> authorization_server::authorize_form(
    http::request_context& context) {
  const auto params = auth::parse_form_parameters(context.query);
  if (!params) {
    co_return html_response(
        context, bhttp::status::bad_request,
        render_error_page("This sign-in link is not valid", params.error().description));
  }
  const auto validated = co_await validate(params.value());
  if (const auto* page = std::get_if<error_page>(&validated)) {
    co_return html_response(context, page->status, render_error_page(page->title, page->message));
  }
  if (const auto* error = std::get_if<redirect_error>(&validated)) {
    co_return error_redirect(context, *error);
  }
  co_return co_await render_form(context, std::get<authorization_request>(validated), {}, {});
}

asio::awaitable<http::response> authorization_server::authorize_sign_in(
    http::request_context& context) {
  const auto params = auth::parse_form_parameters(context.message.body());
  if (!params) {
    co_return html_response(
        context, bhttp::status::bad_request,
        render_error_page("This sign-in form is not valid", params.error().description));
  }
  const auto validated = co_await validate(params.value());
  if (const auto* page = std::get_if<error_page>(&validated)) {
    co_return html_response(context, page->status, render_error_page(page->title, page->message));
  }
  if (const auto* error = std::get_if<redirect_error>(&validated)) {
    co_return error_redirect(context, *error);
  }
  const auto& request = std::get<authorization_request>(validated);
  outcome event{.operation = "sign_in",
                .application_id = request.client.id,
                .client_id = request.client.client_id,
                .grant = "authorization_code"};

  const auto cookie = cookie_value(context, form_cookie);
  bool csrf_ok = false;
  if (cookie) {
    csrf_ok = co_await consume_csrf_token(*context_.redis,
                                          parameter_or_empty(params.value(), "csrf_token"),
                                          auth::sha256_hex(*cookie), request.digest());
  }
  if (!csrf_ok) {
    fail("csrf");
    event.result = "csrf";
    event.status = 403;
    co_await record(context, std::move(event));
    co_return html_response(
        context, bhttp::status::forbidden,
        render_error_page("This sign-in form has expired",
                          "The form was not issued to this browser for this request, was "
                          "already used, or is too old. Go back to the application and start "
                          "again."));
  }
  if (parameter_or_empty(params.value(), "decision") == "deny") {
    event.result = "access_denied";
    event.status = 303;
    co_await record(context, std::move(event));
    co_return error_redirect(context, {request.redirect_uri, "access_denied",
                                       "the user denied the request", request.state});
  }
  const auto username = parameter_or_empty(params.value(), "username");
  const auto password = parameter_or_empty(params.value(), "password");
  std::vector<std::pair<std::string, int>> subjects;
  subjects.emplace_back("sign-in-address:" + context.remote_address.to_string(),
                        context_.settings.address_attempts_per_minute);
  subjects.emplace_back("sign-in-user:" + username, context_.settings.client_attempts_per_minute);
  if (const auto wait = co_await over_limit(std::move(subjects))) {
    fail("rate_limited");
    event.result = "rate_limited";
    event.status = 429;
    co_await record(context, std::move(event));
    auto answer = html_response(
        context, bhttp::status::too_many_requests,
        render_error_page("Too many sign-in attempts",
                          "Wait " + std::to_string(wait->count()) + " seconds and try again."));
    answer.set(bhttp::field::retry_after, std::to_string(wait->count()));
    co_return answer;
  }
  std::optional<end_user_record> user;
  if (!username.empty()) {
    user = co_await find_end_user(*context_.database, username);
  }
  bool signed_in = false;
  if (user) {
    signed_in = co_await checker_.verify(password, user->password_hash) && user->active;
  } else {
    co_await checker_.verify_nothing(password);
  }
  if (!signed_in) {
    fail("bad_credentials");
    event.result = "bad_credentials";
    event.status = 200;
    co_await record(context, std::move(event));
    co_return co_await render_form(context, request, username,
                                   "The username or password is incorrect.");
  }
  co_await record_sign_in(*context_.database, user->id);
  // Named, not a braced temporary inside co_await: GCC 12 destroys those twice.
  const authorization_grant grant{.application_id = request.client.id,
                                  .client_id = request.client.client_id,
                                  .redirect_uri = request.redirect_uri,
                                  .end_user_id = user->id,
                                  .scope = auth::format_scopes(request.scopes),
                                  .code_challenge = request.code_challenge,
                                  .code_challenge_method = request.code_challenge_method,
                                  .resource = request.audience};
  const auto code = co_await store_authorization_code(
      *context_.redis, grant, context_.settings.authorization_code_lifetime);
  event.end_user_id = user->id;
  event.result = "success";
  event.status = 303;
  co_await record(context, std::move(event));
  co_return authorization_response(context, request.redirect_uri,
                                   {{"code", code}, {"state", request.state}});
}

asio::awaitable<auth::value_or_error<authorization_server::management_request, http::response>>
authorization_server::authenticated_management_request(http::request_context& context,
                                                       std::string operation) {
  const auto authorization = header_if_present(context, bhttp::field::authorization);
  auto parsed = auth::parse_token_management_request(
      header_value(context, bhttp::field::content_type), context.message.body(), authorization);
  outcome event{.operation = std::move(operation), .client_id = parsed ? parsed->client_id : ""};
  if (!parsed) {
    fail(auth::oauth_error_name(parsed.error().code));
    event.result = auth::oauth_error_name(parsed.error().code);
    event.status = auth::oauth_error_status(parsed.error().code);
    co_await record(context, std::move(event));
    co_return oauth_error_response(context, parsed.error());
  }
  auto client =
      co_await authenticate_client(parsed->client_id, parsed->client_secret, parsed->auth_method);
  if (!client) {
    fail("invalid_client");
    event.result = "invalid_client";
    event.status = 401;
    co_await record(context, std::move(event));
    co_return oauth_error_response(context, client.error());
  }
  event.application_id = client->id;
  co_return management_request{.request = std::move(parsed).value(),
                               .client = std::move(client).value(),
                               .event = std::move(event)};
}

asio::awaitable<http::response> authorization_server::revoke(http::request_context& context) {
  auto authenticated = co_await authenticated_management_request(context, "revoke");
  if (!authenticated) {
    co_return authenticated.error();
  }
  auto [request, client, event] = std::move(authenticated).value();
  // RFC 7009 §2.2: the answer is 200 whether or not the token was known.
  const auto revoked = co_await revoke_family_of_token(
      *context_.database, client.id, auth::sha256_hex(request.token), "revoked by the client");
  co_await deny_all(revoked);
  if (revoked.empty()) {
    const auto claims = context_.issuer->verify(request.token, now_seconds());
    if (claims && claims->client_id == client.client_id) {
      co_await deny_access_token(
          *context_.redis, claims->token_id,
          std::chrono::duration_cast<seconds>(claims->expires_at - now_seconds()));
    }
  }
  event.result = "success";
  co_await record(context, std::move(event));
  co_return json_response(context, bhttp::status::ok, json::object{});
}

asio::awaitable<http::response> authorization_server::introspect(http::request_context& context) {
  auto authenticated = co_await authenticated_management_request(context, "introspect");
  if (!authenticated) {
    co_return authenticated.error();
  }
  auto [request, client, event] = std::move(authenticated).value();
  event.result = "success";
  co_await record(context, std::move(event));
  const auto now = now_seconds();
  // Only the caller's own tokens are described: other clients' tokens are reported inactive.
  const auto claims = context_.issuer->verify(request.token, now);
  bool active_access_token =
      claims && claims->client_id == client.client_id &&
      !auth::check_application_state(claims.value(), auth::application_status::active,
                                     client.token_version);
  if (active_access_token) {
    active_access_token = !co_await is_access_token_revoked(*context_.redis, claims->token_id);
  }
  if (active_access_token && claims->subject != claims->client_id) {
    active_access_token = co_await end_user_is_active(*context_.database, claims->subject);
  }
  if (active_access_token) {
    co_return json_response(context, bhttp::status::ok,
                            json::object{{"active", true},
                                         {"token_type", "Bearer"},
                                         {"scope", auth::format_scopes(claims->scopes)},
                                         {"client_id", claims->client_id},
                                         {"sub", claims->subject},
                                         {"jti", claims->token_id},
                                         {"iss", context_.issuer->settings().issuer},
                                         {"aud", context_.issuer->settings().audience},
                                         {"iat", claims->issued_at.time_since_epoch().count()},
                                         {"exp", claims->expires_at.time_since_epoch().count()}});
  }
  const auto refresh = co_await find_refresh_token(
      *context_.database, client.id, auth::sha256_hex(request.token), client.token_version);
  if (refresh && refresh->active) {
    co_return json_response(context, bhttp::status::ok,
                            json::object{{"active", true},
                                         {"token_type", "refresh_token"},
                                         {"scope", refresh->scope},
                                         {"client_id", client.client_id},
                                         {"sub", refresh->end_user_id.value_or(client.client_id)},
                                         {"iat", refresh->issued_at.time_since_epoch().count()},
                                         {"exp", refresh->expires_at.time_since_epoch().count()}});
  }
  co_return json_response(context, bhttp::status::ok, json::object{{"active", false}});
}

http::response authorization_server::jwks(http::request_context& context) const {
  http::response answer{bhttp::status::ok, context.message.version()};
  answer.set(bhttp::field::content_type, "application/json");
  // Short, so a newly published key reaches verifiers well before it signs.
  answer.set(bhttp::field::cache_control, "public, max-age=300");
  answer.body() = context_.issuer->jwks_json();
  answer.prepare_payload();
  return answer;
}

// RFC 7591: a client registers itself with its metadata and gets a client_id (and a secret,
// unless it is public). Counted per source address like sign-ins; audited like every OAuth call.
asio::awaitable<http::response> authorization_server::register_client(
    http::request_context& context) {
  const auto address = context.remote_address.to_string();
  outcome event{.operation = "register", .status = 400};
  std::vector<std::pair<std::string, int>> subjects{
      {"register-address:" + address, context_.settings.address_attempts_per_minute}};
  if (const auto wait = co_await over_limit(std::move(subjects))) {
    event.result = "rate_limited";
    event.status = 429;
    co_await record(context, std::move(event));
    throw http::problem_error(too_many_attempts(*wait));
  }
  boost::system::error_code parse_error;
  const auto document = json::parse(context.message.body(), parse_error);
  std::optional<auth::value_or_error<client_metadata, registration_error>> metadata;
  if (parse_error || !document.is_object() ||
      !http::is_json_media_type(header_value(context, bhttp::field::content_type))) {
    metadata.emplace(registration_error{
        "invalid_client_metadata", "send the client metadata as a JSON object (application/json)"});
  } else {
    auth::scope_set grantable{std::string(auth::memories_read_scope),
                              std::string(auth::memories_write_scope)};
    metadata.emplace(parse_client_metadata(document.as_object(), "MCP client",
                                           "client_secret_basic", grantable));
  }
  if (!metadata->ok()) {
    event.result = metadata->error().error;
    co_await record(context, event);
    co_return json_response(
        context, bhttp::status::bad_request,
        {{"error", metadata->error().error}, {"error_description", metadata->error().description}});
  }
  const auto& accepted = metadata->value();
  const bool is_public = accepted.token_endpoint_auth_method == "none";
  const auto client_id = std::string(registered_client_id_prefix) + auth::random_token(16);
  const auto secret = is_public ? std::string() : auth::random_token(32);
  std::string secret_hash;
  if (!is_public) {
    // A statement of its own: GCC 12 destroys a co_await's result twice inside ?: .
    secret_hash = co_await checker_.hash(secret);
  }
  new_registered_client client{
      .name = accepted.client_name,
      .client_id = client_id,
      .client_secret_hash = std::move(secret_hash),
      .scopes = std::vector<std::string>(accepted.scopes.begin(), accepted.scopes.end()),
      .redirect_uris = accepted.redirect_uris,
      .rate_limit_per_minute = context_.settings.registered_client_rate_limit,
      .registration = "dynamic"};
  auto application_id = co_await insert_registered_client(*context_.database, std::move(client));
  if (!application_id) {
    throw std::runtime_error("a fresh client_id is taken");
  }
  event.application_id = std::move(*application_id);
  event.client_id = client_id;
  event.result = "success";
  event.status = 201;
  logging::info("a client registered itself",
                {{"client_id", client_id}, {"client_name", accepted.client_name}});
  co_await record(context, std::move(event));
  json::array redirect_uris;
  for (const auto& uri : accepted.redirect_uris) {
    redirect_uris.emplace_back(uri);
  }
  json::object body{{"client_id", client_id},
                    {"client_id_issued_at", now_seconds().time_since_epoch().count()},
                    {"client_name", accepted.client_name},
                    {"redirect_uris", std::move(redirect_uris)},
                    {"token_endpoint_auth_method", accepted.token_endpoint_auth_method},
                    {"grant_types", json::array{"authorization_code", "refresh_token"}},
                    {"response_types", json::array{"code"}},
                    {"scope", auth::format_scopes(accepted.scopes)}};
  if (!is_public) {
    body["client_secret"] = secret;
    body["client_secret_expires_at"] = 0;
  }
  co_return json_response(context, bhttp::status::created, body);
}

http::response authorization_server::metadata(http::request_context& context) const {
  const auto& base = context_.settings.public_base_url;
  json::array scopes;
  for (const auto scope : auth::known_scopes) {
    scopes.emplace_back(scope);
  }
  const json::array auth_methods{"client_secret_basic", "client_secret_post"};
  // Public clients exist only where clients may register themselves.
  json::array token_auth_methods = auth_methods;
  if (context_.settings.dynamic_registration || metadata_documents_.enabled()) {
    token_auth_methods.emplace_back("none");
  }
  json::object body{{"issuer", context_.issuer->settings().issuer},
                    {"authorization_endpoint", base + std::string(authorize_path)},
                    {"token_endpoint", base + "/oauth/token"},
                    {"jwks_uri", base + "/.well-known/jwks.json"},
                    {"revocation_endpoint", base + "/oauth/revoke"},
                    {"introspection_endpoint", base + "/oauth/introspect"},
                    {"scopes_supported", scopes},
                    {"response_types_supported", json::array{"code"}},
                    {"response_modes_supported", json::array{"query"}},
                    {"grant_types_supported",
                     json::array{"authorization_code", "refresh_token", "client_credentials"}},
                    {"token_endpoint_auth_methods_supported", std::move(token_auth_methods)},
                    {"revocation_endpoint_auth_methods_supported", auth_methods},
                    {"introspection_endpoint_auth_methods_supported", auth_methods},
                    // RFC 9700 §2.1.1: plain gives no protection against a leaked request.
                    {"code_challenge_methods_supported", json::array{"S256"}},
                    // RFC 9207: every authorization response carries iss.
                    {"authorization_response_iss_parameter_supported", true}};
  if (context_.settings.dynamic_registration) {
    body["registration_endpoint"] = base + std::string(registration_path);
  }
  if (metadata_documents_.enabled()) {
    body["client_id_metadata_document_supported"] = true;
  }
  http::response answer{bhttp::status::ok, context.message.version()};
  answer.set(bhttp::field::content_type, "application/json");
  answer.set(bhttp::field::cache_control, "public, max-age=300");
  answer.body() = json::serialize(body);
  answer.prepare_payload();
  return answer;
}

}  // namespace

std::shared_ptr<const token_issuer> make_token_issuer(const signing_settings& signing) {
  return std::make_shared<const token_issuer>(
      signing.keys,
      auth::access_token_settings{.issuer = signing.issuer,
                                  .audience = signing.audience,
                                  .resource_audiences = {signing.mcp_resource}},
      std::chrono::duration_cast<seconds>(signing.access_token_lifetime));
}

void add_oauth_routes(http::router& routes, oauth_context context) {
  const bool dynamic_registration = context.settings.dynamic_registration;
  const auto server = std::make_shared<authorization_server>(std::move(context));
  const auto token = [server](http::request_context& request) { return server->token(request); };
  routes.add(http::verb::post, "/oauth/token", token);
  // The seeds' path for the same endpoint.
  routes.add(http::verb::post, "/auth/token", token);
  routes.add(http::verb::get, std::string(authorize_path),
             [server](http::request_context& request) { return server->authorize_form(request); });
  routes.add(
      http::verb::post, std::string(authorize_path),
      [server](http::request_context& request) { return server->authorize_sign_in(request); });
  routes.add(http::verb::post, "/oauth/revoke",
             [server](http::request_context& request) { return server->revoke(request); });
  routes.add(http::verb::post, "/oauth/introspect",
             [server](http::request_context& request) { return server->introspect(request); });
  if (dynamic_registration) {
    routes.add(
        http::verb::post, std::string(registration_path),
        [server](http::request_context& request) { return server->register_client(request); });
  }
  routes.add(http::verb::get, "/.well-known/jwks.json",
             [server](http::request_context& request) -> asio::awaitable<http::response> {
               co_return server->jwks(request);
             });
  routes.add(http::verb::get, "/.well-known/oauth-authorization-server",
             [server](http::request_context& request) -> asio::awaitable<http::response> {
               co_return server->metadata(request);
             });
}

}  // namespace gpt_adapter::api::oauth
