#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "api/oauth/client_metadata_documents.hpp"
#include "api/request_auth/request_auth_settings.hpp"
#include "common/auth/signing_key.hpp"
#include "common/config/settings.hpp"
#include "common/http/cors.hpp"

namespace gpt_adapter::api {

struct signing_settings {
  std::string algorithm = "HS256";  // JWT_ALGORITHM: HS256, RS256 or ES256
  std::string secret;               // JWT_SECRET_KEY, or generated in dev mode
  bool ephemeral = false;           // generated at start-up: tokens die with the process
  std::chrono::minutes access_token_lifetime{60};  // JWT_EXPIRATION_MINUTES
  // Every key that verifies tokens, the active one (JWT_KEY_ID) signing: the HMAC key of
  // JWT_SECRET_KEY, the private key of JWT_PRIVATE_KEY_FILE, and the public keys of
  // JWT_VERIFY_ONLY_KEY_FILES (rotation: a new key published before it signs, or an old one
  // kept until its last token has expired).
  std::shared_ptr<const auth::key_set> keys;
  std::string issuer;    // JWT_ISSUER, default PUBLIC_BASE_URL
  std::string audience;  // JWT_AUDIENCE, default the issuer
  // The audience of tokens issued for the MCP endpoint (PUBLIC_BASE_URL/mcp, RFC 8707).
  std::string mcp_resource;
};

struct oauth_settings {
  // The API's address as clients reach it, for the metadata's absolute endpoint URLs.
  std::string public_base_url;  // PUBLIC_BASE_URL
  std::chrono::seconds refresh_token_lifetime{
      std::chrono::days(30)};  // REFRESH_TOKEN_LIFETIME_DAYS
  std::chrono::seconds refresh_token_idle_timeout{
      std::chrono::days(14)};                            // REFRESH_TOKEN_IDLE_DAYS
  std::chrono::seconds authorization_code_lifetime{60};  // AUTHORIZATION_CODE_LIFETIME_SECONDS
  // Token requests and sign-ins per minute, per client_id and per source address: the guard
  // against credential stuffing.
  int client_attempts_per_minute = 60;    // OAUTH_CLIENT_ATTEMPTS_PER_MINUTE
  int address_attempts_per_minute = 120;  // OAUTH_ADDRESS_ATTEMPTS_PER_MINUTE
  // Threads that run the slow PBKDF2 checks of client secrets and passwords, away from the I/O
  // threads.
  std::size_t secret_check_threads = 2;  // SECRET_CHECK_THREADS
  // Whether clients may register themselves at /oauth/register (RFC 7591): MCP hosts that know
  // no operator. Off by default.
  bool dynamic_registration = false;  // OAUTH_DYNAMIC_CLIENT_REGISTRATION
  // The rate limit of each client that registered itself, in requests per minute.
  int registered_client_rate_limit = 100;  // OAUTH_REGISTERED_CLIENT_RATE_LIMIT
  // Clients whose client_id is the URL of their metadata document (OAUTH_CLIENT_METADATA_*).
  oauth::client_metadata_settings client_metadata;
};

struct api_settings {
  config::common_settings common;
  config::http_listener_settings listener;  // API_HOST, API_PORT, WORKERS, HTTP_*
  signing_settings signing;
  oauth_settings oauth;
  request_auth::request_auth_settings request_auth;  // AUTH_REALM, RATE_LIMIT_FAIL_MODE...
  // The browser origins that may call the API (CORS_ALLOWED_ORIGINS, comma-separated); none by
  // default: a Custom GPT calls from OpenAI's servers and needs no CORS.
  http::cors_policy cors;
};

// Minimum HMAC key length: RFC 7518 §3.2 requires a key at least as long as the hash (256 bits).
inline constexpr std::size_t min_hmac_secret_bytes = 32;

// Reads and validates everything the API needs, key files included; throws config::config_error
// naming the variable. There is no default signing key: JWT_SECRET_KEY must be set for HS256
// (or JWT_PRIVATE_KEY_FILE for RS256/ES256) unless GPT_ADAPTER_DEV_MODE is on, in which case an
// ephemeral random HMAC key is generated.
api_settings read_api_settings(const config::env_reader& env);

}  // namespace gpt_adapter::api
