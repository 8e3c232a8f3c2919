#include "common/auth/access_token.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::auth {
namespace {

constexpr std::string_view access_token_use = "access";
// RFC 9068 §2.1. The media type may be written in full, and media types compare
// case-insensitively (RFC 7515 §4.1.9).
constexpr std::string_view access_token_type = "at+jwt";

bool equals_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// at+jwt, or the plain JWT this server issued before it followed RFC 9068: tokens of that kind
// still alive at an upgrade (one access token lifetime at most) keep working. Both carry
// token_use "access", which check_claims requires too, so no other JWT signed by the same keys
// passes either way. A missing or any other typ is refused.
bool is_access_token_type(std::string_view type) {
  return equals_ignoring_case(type, access_token_type) ||
         equals_ignoring_case(type, "application/at+jwt") || equals_ignoring_case(type, "JWT");
}
constexpr std::size_t token_id_bytes = 16;

token_failure failure(token_error error, std::string message) {
  return token_failure{error, std::move(message)};
}

std::int64_t seconds_since_epoch(std::chrono::sys_seconds time) {
  return time.time_since_epoch().count();
}

// A claim that must be a non-empty string.
std::optional<std::string_view> required_string(const boost::json::object& claims,
                                                std::string_view name) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) {
    return std::nullopt;
  }
  return std::string_view(value->get_string());
}

// A NumericDate claim: an integer number of seconds. Fractions are legal in RFC 7519 but never
// issued here, so they are refused like any other unexpected form.
std::optional<std::int64_t> integer_claim(const boost::json::value* value) {
  if (value == nullptr || !value->is_int64()) {
    return std::nullopt;
  }
  return value->get_int64();
}

bool audience_matches(const boost::json::value& audience, std::string_view expected) {
  if (audience.is_string()) {
    return audience.get_string() == expected;
  }
  if (audience.is_array()) {
    for (const auto& entry : audience.get_array()) {
      if (entry.is_string() && entry.get_string() == expected) {
        return true;
      }
    }
  }
  return false;
}

value_or_error<access_token_claims, token_failure> check_claims(
    const access_token_settings& settings, std::string_view payload, std::chrono::sys_seconds now) {
  boost::system::error_code parse_error;
  const auto value = boost::json::parse(payload, parse_error);
  if (parse_error || !value.is_object()) {
    return failure(token_error::malformed, "the claims are not a JSON object");
  }
  const auto& claims = value.get_object();

  const auto* token_use = claims.if_contains("token_use");
  if (token_use == nullptr || !token_use->is_string() ||
      token_use->get_string() != access_token_use) {
    return failure(token_error::wrong_token_use, "not an access token");
  }
  const auto* issuer = claims.if_contains("iss");
  if (issuer == nullptr || !issuer->is_string() || issuer->get_string() != settings.issuer) {
    return failure(token_error::wrong_issuer, "the token was issued by someone else");
  }
  const auto* audience = claims.if_contains("aud");
  if (audience == nullptr) {
    return failure(token_error::wrong_audience, "the token is meant for someone else");
  }
  std::string resource;
  if (!audience_matches(*audience, settings.audience)) {
    const auto found = std::find_if(
        settings.resource_audiences.begin(), settings.resource_audiences.end(),
        [&](const std::string& candidate) { return audience_matches(*audience, candidate); });
    if (found == settings.resource_audiences.end()) {
      return failure(token_error::wrong_audience, "the token is meant for someone else");
    }
    resource = *found;
  }

  const auto expires_at = integer_claim(claims.if_contains("exp"));
  const auto issued_at = integer_claim(claims.if_contains("iat"));
  if (!expires_at || !issued_at) {
    return failure(token_error::malformed, "exp and iat must be integer NumericDates");
  }
  std::optional<std::int64_t> not_before;
  if (claims.contains("nbf")) {
    not_before = integer_claim(claims.if_contains("nbf"));
    if (!not_before) {
      return failure(token_error::malformed, "nbf must be an integer NumericDate");
    }
  }
  if (has_expired(settings, std::chrono::sys_seconds(std::chrono::seconds(*expires_at)), now)) {
    return failure(token_error::expired, "the token has expired");
  }
  // Rearranged so that no claim value is added to: a huge iat or nbf must not overflow.
  const auto now_seconds = seconds_since_epoch(now);
  const auto leeway = settings.leeway.count();
  if (*issued_at > now_seconds + leeway || (not_before && *not_before > now_seconds + leeway)) {
    return failure(token_error::not_yet_valid, "the token is not valid yet");
  }

  const auto subject = required_string(claims, "sub");
  const auto client_id = required_string(claims, "client_id");
  const auto token_id = required_string(claims, "jti");
  const auto* scope = claims.if_contains("scope");
  const auto token_version = integer_claim(claims.if_contains("ver"));
  if (!subject || !client_id || !token_id || scope == nullptr || !scope->is_string() ||
      !token_version || *token_version < 0) {
    return failure(token_error::malformed,
                   "sub, client_id, jti, scope and ver must be present with their types");
  }
  auto scopes = parse_scopes(scope->get_string());
  if (!scopes) {
    return failure(token_error::malformed, "the token carries an " + scopes.error().description());
  }

  access_token_claims verified;
  verified.subject = *subject;
  verified.client_id = *client_id;
  verified.scopes = std::move(scopes).value();
  verified.token_id = *token_id;
  verified.audience = std::move(resource);
  verified.token_version = *token_version;
  verified.issued_at = std::chrono::sys_seconds(std::chrono::seconds(*issued_at));
  verified.expires_at = std::chrono::sys_seconds(std::chrono::seconds(*expires_at));
  if (not_before) {
    verified.not_before = std::chrono::sys_seconds(std::chrono::seconds(*not_before));
  }
  return verified;
}

}  // namespace

bool has_expired(const access_token_settings& settings, std::chrono::sys_seconds expires_at,
                 std::chrono::sys_seconds now) {
  // Rearranged so that exp is not added to: a huge exp must not overflow.
  return now - settings.leeway >= expires_at;
}

access_token_claims new_access_token_claims(std::string subject, std::string client_id,
                                            scope_set scopes, std::int64_t token_version,
                                            std::chrono::sys_seconds now,
                                            std::chrono::seconds lifetime) {
  access_token_claims claims;
  claims.subject = std::move(subject);
  claims.client_id = std::move(client_id);
  claims.scopes = std::move(scopes);
  claims.token_id = random_token(token_id_bytes);
  claims.token_version = token_version;
  claims.issued_at = now;
  claims.expires_at = now + lifetime;
  return claims;
}

std::optional<std::string> audience_for_resource(const access_token_settings& settings,
                                                 std::string_view resource) {
  if (resource.empty() || resource == settings.audience) {
    return std::string();
  }
  const auto found =
      std::find(settings.resource_audiences.begin(), settings.resource_audiences.end(), resource);
  if (found == settings.resource_audiences.end()) {
    return std::nullopt;
  }
  return *found;
}

std::string encode_access_token(const key_set& keys, const access_token_settings& settings,
                                const access_token_claims& claims) {
  boost::json::object payload{
      {"iss", settings.issuer},
      {"sub", claims.subject},
      {"aud", claims.audience.empty() ? settings.audience : claims.audience},
      {"client_id", claims.client_id},
      {"scope", format_scopes(claims.scopes)},
      {"iat", seconds_since_epoch(claims.issued_at)},
      {"exp", seconds_since_epoch(claims.expires_at)},
      {"jti", claims.token_id},
      {"ver", claims.token_version},
      {"token_use", access_token_use},
  };
  if (claims.not_before) {
    payload["nbf"] = seconds_since_epoch(*claims.not_before);
  }
  return sign_jws(keys.active(), boost::json::serialize(payload), access_token_type);
}

value_or_error<access_token_claims, token_failure> verify_access_token(
    const key_set& keys, const access_token_settings& settings, std::string_view token,
    std::chrono::sys_seconds now) {
  const auto jws = verify_jws(keys, token, settings.max_token_bytes);
  if (!jws) {
    return jws.error();
  }
  if (!is_access_token_type(jws->type)) {
    return failure(token_error::wrong_token_use, "the header's typ is not at+jwt");
  }
  try {
    return check_claims(settings, jws->payload, now);
  } catch (const std::exception& error) {
    return failure(token_error::malformed,
                   std::string("the claims could not be read: ") + error.what());
  }
}

std::optional<token_failure> check_application_state(const access_token_claims& claims,
                                                     application_status status,
                                                     std::int64_t current_token_version) {
  if (status == application_status::disabled) {
    return failure(token_error::application_disabled, "the application is disabled");
  }
  if (claims.token_version < current_token_version) {
    return failure(token_error::outdated_token_version,
                   "the token predates the application's current token version");
  }
  return std::nullopt;
}

}  // namespace gpt_adapter::auth
