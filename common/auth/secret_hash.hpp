#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Hashing of the secrets the adapter stores: slow salted hashes for client secrets, which an
// operator may choose badly or which may leak with a database dump, and a fast digest for the
// high-entropy tokens the adapter generates itself.
namespace gpt_adapter::auth {

// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
inline constexpr unsigned default_iterations = 600000;
// Outside these bounds an encoding is rejected: below is too weak to accept, above is a stored
// string crafted to make verification burn CPU.
inline constexpr unsigned min_iterations = 10000;
inline constexpr unsigned max_iterations = 10000000;

// Hashes `secret` with PBKDF2-HMAC-SHA256 and a fresh 16-byte random salt. The result describes
// itself, `pbkdf2-sha256$<iterations>$<salt>$<hash>` (standard base64 without padding), so the
// iteration count can be raised later without invalidating stored hashes. Throws
// std::invalid_argument for iterations outside [min_iterations, max_iterations] and
// std::runtime_error if OpenSSL fails.
std::string hash_secret(std::string_view secret, unsigned iterations = default_iterations);

// Whether `secret` matches `encoded`, compared in constant time. False for any malformed
// encoding; never throws on bad input.
bool verify_secret(std::string_view secret, std::string_view encoded);

// Whether `encoded` should be replaced by a fresh hash_secret(): it is malformed or uses fewer
// than default_iterations.
bool needs_rehash(std::string_view encoded);

// `bytes` bytes from the OpenSSL CSPRNG as URL-safe base64 without padding.
std::string random_token(std::size_t bytes);

// The 32-byte SHA-256 digest of `text`. Throws std::runtime_error if OpenSSL fails.
std::string sha256_digest(std::string_view text);

// Lower-case hex SHA-256 of `text`, for API keys and refresh tokens. Those are random_token()
// values with at least 256 bits of entropy: no dictionary or brute force can reach them, so a
// slow salted hash would only cost CPU on every request, and an unsalted digest lets the
// database look a presented token up by its hash.
std::string sha256_hex(std::string_view text);

}  // namespace gpt_adapter::auth
