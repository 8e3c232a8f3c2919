#include "api/api_settings.hpp"

#include <stdexcept>
#include <vector>

#include "api/mcp/mcp_resource.hpp"
#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api {
namespace {

using config::config_error;

constexpr std::string_view default_hmac_kid = "hs256";

// A stable kid for a PEM key: replicas reading the same file agree on it without configuration.
std::string fingerprint_kid(auth::signing_algorithm algorithm, const auth::signing_key& key) {
  std::string name(auth::signing_algorithm_name(algorithm));
  for (auto& c : name) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return name + "-" + auth::sha256_hex(key.public_key_pem()).substr(0, 16);
}

bool is_kid_text(std::string_view kid) {
  if (kid.empty() || kid.size() > 64) {
    return false;
  }
  for (const char c : kid) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

std::string hmac_secret(const config::env_reader& env, const config::common_settings& common,
                        bool required, bool& ephemeral) {
  if (auto secret = env.optional_string("JWT_SECRET_KEY"); secret && !secret->empty()) {
    if (secret->size() < min_hmac_secret_bytes) {
      throw config_error("JWT_SECRET_KEY is too short: expected at least " +
                         std::to_string(min_hmac_secret_bytes) + " bytes, got " +
                         std::to_string(secret->size()));
    }
    return std::move(*secret);
  }
  if (!required) {
    return {};
  }
  if (common.dev_mode) {
    ephemeral = true;
    return auth::random_token(48);
  }
  throw config_error(
      "JWT_SECRET_KEY is required but not set: expected a random secret of at least 32 bytes "
      "(e.g. `openssl rand -hex 32`); set GPT_ADAPTER_DEV_MODE=true only for local development "
      "to use an ephemeral key");
}

// `kid=path` entries separated by commas; each file a PEM public key (RSA or P-256).
std::vector<auth::signing_key> verify_only_keys(const config::env_reader& env) {
  constexpr std::string_view variable = "JWT_VERIFY_ONLY_KEY_FILES";
  std::vector<auth::signing_key> keys;
  const auto list = env.optional_string(variable);
  if (!list) {
    return keys;
  }
  std::string_view rest = *list;
  while (!rest.empty()) {
    auto entry = rest.substr(0, rest.find(','));
    rest.remove_prefix(std::min(rest.size(), entry.size() + 1));
    while (!entry.empty() && entry.front() == ' ') {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && entry.back() == ' ') {
      entry.remove_suffix(1);
    }
    if (entry.empty()) {
      continue;
    }
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || !is_kid_text(entry.substr(0, equals)) ||
        equals + 1 == entry.size()) {
      throw config_error(std::string(variable) +
                         " is invalid: expected comma-separated kid=path entries, with kids of "
                         "letters, digits, '-', '_' and '.'");
    }
    const std::string kid(entry.substr(0, equals));
    const std::string path(entry.substr(equals + 1));
    const auto pem = config::read_named_file(variable, path);
    bool loaded = false;
    for (const auto algorithm : {auth::signing_algorithm::rs256, auth::signing_algorithm::es256}) {
      try {
        keys.push_back(auth::signing_key::from_public_pem(kid, algorithm, pem));
        loaded = true;
        break;
      } catch (const std::invalid_argument&) {
      }
    }
    if (!loaded) {
      throw config_error(std::string(variable) + " entry '" + kid +
                         "' is not a PEM public key of RSA (2048 bits or more) or P-256: " + path);
    }
  }
  return keys;
}

std::string base_url(const config::env_reader& env, std::string_view variable,
                     std::string fallback) {
  auto url = env.string_or(variable, fallback);
  while (url.size() > 1 && url.back() == '/') {
    url.pop_back();
  }
  const bool scheme = url.starts_with("https://") || url.starts_with("http://");
  const bool clean = url.find_first_of("?# \t\r\n") == std::string::npos;
  if (!scheme || !clean || url.size() <= std::string_view("https://").size()) {
    throw config_error(std::string(variable) +
                       " is invalid: expected an absolute http(s) URL without query or fragment, "
                       "e.g. https://gpt-adapter.example.com");
  }
  return url;
}

signing_settings read_signing_settings(const config::env_reader& env,
                                       const config::common_settings& common,
                                       const std::string& public_base_url) {
  signing_settings signing;
  signing.algorithm = env.one_of_or("JWT_ALGORITHM", "HS256", {"HS256", "RS256", "ES256"});
  signing.access_token_lifetime =
      std::chrono::minutes(env.integer_or("JWT_EXPIRATION_MINUTES", 60, 1, 24 * 60));
  const auto algorithm = *auth::parse_signing_algorithm(signing.algorithm);
  const auto key_id = env.optional_string("JWT_KEY_ID");
  if (key_id && !is_kid_text(*key_id)) {
    throw config_error("JWT_KEY_ID is invalid: expected 1 to 64 letters, digits, '-', '_', '.'");
  }

  std::vector<auth::signing_key> keys;
  std::string active_kid;
  const bool hmac_active = algorithm == auth::signing_algorithm::hs256;
  signing.secret = hmac_secret(env, common, hmac_active, signing.ephemeral);
  if (!signing.secret.empty()) {
    // When a PEM key signs, a configured HMAC secret still verifies the tokens it signed
    // before the switch.
    const std::string kid = hmac_active && key_id ? *key_id : std::string(default_hmac_kid);
    keys.push_back(auth::signing_key::hs256(kid, signing.secret));
    if (hmac_active) {
      active_kid = kid;
    }
  }
  if (!hmac_active) {
    const auto path = env.optional_string("JWT_PRIVATE_KEY_FILE");
    if (!path || path->empty()) {
      throw config_error("JWT_PRIVATE_KEY_FILE is required when JWT_ALGORITHM is " +
                         signing.algorithm +
                         ": expected the path of an unencrypted PEM private key");
    }
    const auto pem = config::read_named_file("JWT_PRIVATE_KEY_FILE", *path);
    try {
      auto key = auth::signing_key::from_private_pem("pending", algorithm, pem);
      active_kid = key_id ? *key_id : fingerprint_kid(algorithm, key);
      keys.push_back(auth::signing_key::from_private_pem(active_kid, algorithm, pem));
    } catch (const std::invalid_argument&) {
      throw config_error("JWT_PRIVATE_KEY_FILE is not an unencrypted PEM private key for " +
                         signing.algorithm +
                         " (RSA of 2048 bits or more for RS256, P-256 for ES256): " + *path);
    }
  }
  for (auto& key : verify_only_keys(env)) {
    keys.push_back(std::move(key));
  }
  try {
    signing.keys = std::make_shared<const auth::key_set>(std::move(keys), active_kid);
  } catch (const std::invalid_argument& invalid) {
    throw config_error(std::string("JWT_VERIFY_ONLY_KEY_FILES: ") + invalid.what() +
                       " (every kid must be unique, JWT_KEY_ID included)");
  }
  signing.issuer = base_url(env, "JWT_ISSUER", public_base_url);
  // Blank is unset, as for every variable (.env.example lists it empty): never an empty `aud`.
  signing.audience = env.string_or("JWT_AUDIENCE", signing.issuer);
  signing.mcp_resource = mcp::mcp_resource(public_base_url);
  if (signing.audience == signing.mcp_resource) {
    throw config_error("JWT_AUDIENCE is invalid: it names the MCP endpoint (" +
                       signing.mcp_resource + "), whose tokens are kept apart from the API's");
  }
  return signing;
}

oauth_settings read_oauth_settings(const config::env_reader& env, unsigned short port) {
  oauth_settings oauth;
  oauth.public_base_url =
      base_url(env, "PUBLIC_BASE_URL", "http://localhost:" + std::to_string(port));
  oauth.refresh_token_lifetime =
      std::chrono::days(env.integer_or("REFRESH_TOKEN_LIFETIME_DAYS", 30, 1, 365));
  oauth.refresh_token_idle_timeout =
      std::chrono::days(env.integer_or("REFRESH_TOKEN_IDLE_DAYS", 14, 1, 365));
  if (oauth.refresh_token_idle_timeout > oauth.refresh_token_lifetime) {
    throw config_error(
        "REFRESH_TOKEN_IDLE_DAYS is longer than REFRESH_TOKEN_LIFETIME_DAYS: expected at most the "
        "absolute lifetime");
  }
  oauth.authorization_code_lifetime =
      std::chrono::seconds(env.integer_or("AUTHORIZATION_CODE_LIFETIME_SECONDS", 60, 1, 600));
  oauth.client_attempts_per_minute =
      static_cast<int>(env.integer_or("OAUTH_CLIENT_ATTEMPTS_PER_MINUTE", 60, 1, 100000));
  oauth.address_attempts_per_minute =
      static_cast<int>(env.integer_or("OAUTH_ADDRESS_ATTEMPTS_PER_MINUTE", 120, 1, 100000));
  oauth.secret_check_threads =
      static_cast<std::size_t>(env.integer_or("SECRET_CHECK_THREADS", 2, 1, 64));
  oauth.dynamic_registration = env.boolean_or("OAUTH_DYNAMIC_CLIENT_REGISTRATION", false);
  oauth.registered_client_rate_limit =
      static_cast<int>(env.integer_or("OAUTH_REGISTERED_CLIENT_RATE_LIMIT", 100, 1, 1000000));
  oauth.client_metadata.enabled = env.boolean_or("OAUTH_CLIENT_METADATA_DOCUMENTS", false);
  oauth.client_metadata.ca_file = env.optional_string("OAUTH_CLIENT_METADATA_CA_FILE");
  oauth.client_metadata.rate_limit_per_minute = oauth.registered_client_rate_limit;
  return oauth;
}

}  // namespace

api_settings read_api_settings(const config::env_reader& env) {
  api_settings settings;
  settings.common = config::read_common_settings(env);
  settings.listener = config::read_http_listener_settings(env, "API_HOST", "API_PORT", 8000);
  settings.listener.tls = config::read_tls_settings(env);
  settings.oauth = read_oauth_settings(env, settings.listener.port);
  settings.oauth.client_metadata.allow_private_addresses = settings.common.dev_mode;
  if (settings.oauth.client_metadata.ca_file) {
    config::read_named_file("OAUTH_CLIENT_METADATA_CA_FILE",
                            *settings.oauth.client_metadata.ca_file);
  }
  settings.signing = read_signing_settings(env, settings.common, settings.oauth.public_base_url);
  settings.request_auth = request_auth::read_request_auth_settings(env);
  try {
    settings.cors = http::cors_policy::parse(env.string_or("CORS_ALLOWED_ORIGINS", ""));
  } catch (const std::invalid_argument& invalid) {
    throw config_error(std::string("CORS_ALLOWED_ORIGINS is invalid: ") + invalid.what());
  }
  return settings;
}

}  // namespace gpt_adapter::api
