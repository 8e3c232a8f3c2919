#include "common/redis/script.hpp"

#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <openssl/evp.h>

namespace gpt_adapter::redis {
namespace {

std::string sha1_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 of a Lua script failed in OpenSSL");
  }
  constexpr std::string_view hex = "0123456789abcdef";
  std::string result;
  result.reserve(size * 2);
  for (unsigned i = 0; i < size; ++i) {
    result.push_back(hex[digest[i] >> 4]);
    result.push_back(hex[digest[i] & 0x0f]);
  }
  return result;
}

}  // namespace

script::script(std::string text) : text_(std::move(text)), sha1_(sha1_hex(text_)) {}

}  // namespace gpt_adapter::redis
