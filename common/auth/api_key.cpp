#include "common/auth/api_key.hpp"

#include <algorithm>

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::auth {
namespace {

constexpr std::size_t random_bytes = 32;
constexpr std::size_t encoded_random_length = 43;  // 32 bytes in base64url without padding

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string generate_api_key() {
  return std::string(api_key_prefix) + random_token(random_bytes);
}

bool is_api_key_shaped(std::string_view credential) {
  if (!credential.starts_with(api_key_prefix)) {
    return false;
  }
  const auto rest = credential.substr(api_key_prefix.size());
  return rest.size() == encoded_random_length &&
         std::all_of(rest.begin(), rest.end(), is_base64url);
}

std::string api_key_display_prefix(std::string_view key) {
  return std::string(key.substr(0, api_key_display_length));
}

}  // namespace gpt_adapter::auth
