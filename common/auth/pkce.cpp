#include "common/auth/pkce.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include "common/auth/base64.hpp"
#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::auth {
namespace {

constexpr std::size_t min_verifier_length = 43;
constexpr std::size_t max_verifier_length = 128;
constexpr std::size_t s256_challenge_length = 43;

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool equal_in_constant_time(std::string_view left, std::string_view right) {
  return left.size() == right.size() && CRYPTO_memcmp(left.data(), right.data(), left.size()) == 0;
}

}  // namespace

std::optional<pkce_method> parse_pkce_method(std::string_view text) {
  if (text == "S256") {
    return pkce_method::s256;
  }
  if (text == "plain") {
    return pkce_method::plain;
  }
  return std::nullopt;
}

std::string_view pkce_method_name(pkce_method method) {
  return method == pkce_method::s256 ? "S256" : "plain";
}

bool is_valid_code_verifier(std::string_view verifier) {
  return verifier.size() >= min_verifier_length && verifier.size() <= max_verifier_length &&
         std::all_of(verifier.begin(), verifier.end(), is_unreserved);
}

bool is_valid_code_challenge(std::string_view challenge, pkce_method method) {
  if (method == pkce_method::plain) {
    return is_valid_code_verifier(challenge);
  }
  if (challenge.size() != s256_challenge_length) {
    return false;
  }
  const auto digest = decode_base64url(challenge);
  return digest && digest->size() == 32;
}

std::string s256_code_challenge(std::string_view verifier) {
  return encode_base64url(sha256_digest(verifier));
}

bool verify_code_verifier(std::string_view verifier, std::string_view challenge,
                          pkce_method method) {
  if (!is_valid_code_verifier(verifier) || !is_valid_code_challenge(challenge, method)) {
    return false;
  }
  if (method == pkce_method::plain) {
    return equal_in_constant_time(verifier, challenge);
  }
  return equal_in_constant_time(s256_code_challenge(verifier), challenge);
}

}  // namespace gpt_adapter::auth
