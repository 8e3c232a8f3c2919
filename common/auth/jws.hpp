#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/auth/signing_key.hpp"
#include "common/auth/value_or_error.hpp"

// Compact JWS (RFC 7515) signing and verification done by the project itself, with OpenSSL,
// rather than by cpp-jwt 1.4, whose decoder accepts HMAC tokens keyed with a public key, compares
// HMAC tags with ==, honours "none" and throws on a non-string alg (see cpp-stack.md).
namespace gpt_adapter::auth {

// Why a token was refused. Its name (token_error_name) is safe to log and to use as a metric
// label; the message is for logs only and never contains the token.
enum class token_error {
  too_large,
  malformed,
  unknown_key,
  wrong_algorithm,
  bad_signature,
  wrong_token_use,
  wrong_issuer,
  wrong_audience,
  expired,
  not_yet_valid,
  application_disabled,
  outdated_token_version,
};

std::string_view token_error_name(token_error error);

struct token_failure {
  token_error error;
  std::string message;
};

// `<header>.<payload>.<signature>` signed by `key`, with the header {"alg","kid","typ"}: `type`
// is the media type of the whole JWS ("at+jwt" for access tokens, RFC 9068 §2.1).
// Throws as signing_key::sign does.
std::string sign_jws(const signing_key& key, std::string_view payload,
                     std::string_view type = "JWT");

struct verified_jws {
  std::string type;     // the header's `typ`, empty when it has none
  std::string payload;  // decoded, not yet parsed
};

// Verifies a compact JWS against `keys` and returns its type and decoded payload. In order:
// at most `max_bytes` long (before anything is decoded); three base64url segments; the header a
// JSON object with a string `alg` naming a supported algorithm, a string `kid` naming a key of the
// set, that key's own algorithm equal to `alg`, no `crit`, and `typ` a string if present; then
// the signature, checked with that key. Never throws.
value_or_error<verified_jws, token_failure> verify_jws(const key_set& keys, std::string_view token,
                                                       std::size_t max_bytes);

}  // namespace gpt_adapter::auth
