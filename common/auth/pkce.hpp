#pragma once

#include <optional>
#include <string>
#include <string_view>

// Proof Key for Code Exchange (RFC 7636): the authorization request carries a challenge derived
// from a secret verifier, and only the client holding the verifier can redeem the code.
namespace gpt_adapter::auth {

enum class pkce_method { s256, plain };

// "S256" or "plain" (case-sensitive); std::nullopt for anything else. RFC 7636 §4.3: a request
// without code_challenge_method means plain; that absence is the caller's to map.
std::optional<pkce_method> parse_pkce_method(std::string_view text);

std::string_view pkce_method_name(pkce_method method);

// 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
bool is_valid_code_verifier(std::string_view verifier);

// For S256, the unpadded base64url of a SHA-256 digest: exactly 43 characters that decode to 32
// bytes. For plain, the verifier syntax.
bool is_valid_code_challenge(std::string_view challenge, pkce_method method);

// BASE64URL(SHA256(ASCII(verifier))) without padding.
std::string s256_code_challenge(std::string_view verifier);

// Whether `verifier` is well formed and yields `challenge` under `method`, compared in constant
// time.
bool verify_code_verifier(std::string_view verifier, std::string_view challenge,
                          pkce_method method);

}  // namespace gpt_adapter::auth
