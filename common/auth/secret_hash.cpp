#include "common/auth/secret_hash.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/auth/base64.hpp"

namespace gpt_adapter::auth {
namespace {

constexpr std::string_view scheme = "pbkdf2-sha256";
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;

struct encoded_hash {
  unsigned iterations;
  std::string salt;
  std::string hash;
};

std::optional<unsigned> parse_iterations(std::string_view text) {
  if (text.empty() || text.size() > 9 || text.front() == '0') {
    return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min_iterations ||
      value > max_iterations) {
    return std::nullopt;
  }
  return value;
}

std::optional<encoded_hash> parse_encoded(std::string_view encoded) {
  std::array<std::string_view, 4> parts;
  std::size_t count = 0;
  while (true) {
    const auto separator = encoded.find('$');
    if (count == parts.size()) {
      return std::nullopt;
    }
    parts[count++] = encoded.substr(0, separator);
    if (separator == std::string_view::npos) {
      break;
    }
    encoded.remove_prefix(separator + 1);
  }
  if (count != parts.size() || parts[0] != scheme) {
    return std::nullopt;
  }
  const auto iterations = parse_iterations(parts[1]);
  auto salt = decode_base64(parts[2], base64_alphabet::standard);
  auto hash = decode_base64(parts[3], base64_alphabet::standard);
  if (!iterations || !salt || !hash || salt->size() < salt_bytes || salt->size() > 64 ||
      hash->size() != hash_bytes) {
    return std::nullopt;
  }
  return encoded_hash{*iterations, std::move(*salt), std::move(*hash)};
}

std::array<unsigned char, hash_bytes> derive(std::string_view secret, std::string_view salt,
                                             unsigned iterations) {
  std::array<unsigned char, hash_bytes> derived{};
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(derived.size()), derived.data()) != 1) {
    throw std::runtime_error("PBKDF2-HMAC-SHA256 failed in OpenSSL");
  }
  return derived;
}

std::string random_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  if (size > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size)) != 1) {
    throw std::runtime_error("the OpenSSL random generator failed");
  }
  return bytes;
}

}  // namespace

std::string hash_secret(std::string_view secret, unsigned iterations) {
  if (iterations < min_iterations || iterations > max_iterations) {
    throw std::invalid_argument("PBKDF2 iterations must be between " +
                                std::to_string(min_iterations) + " and " +
                                std::to_string(max_iterations));
  }
  const auto salt = random_bytes(salt_bytes);
  const auto derived = derive(secret, salt, iterations);
  return std::string(scheme) + '$' + std::to_string(iterations) + '$' +
         encode_base64(salt, base64_alphabet::standard) + '$' +
         encode_base64(
             std::string_view(reinterpret_cast<const char*>(derived.data()), derived.size()),
             base64_alphabet::standard);
}

bool verify_secret(std::string_view secret, std::string_view encoded) {
  const auto parsed = parse_encoded(encoded);
  if (!parsed) {
    return false;
  }
  try {
    const auto derived = derive(secret, parsed->salt, parsed->iterations);
    return CRYPTO_memcmp(derived.data(), parsed->hash.data(), derived.size()) == 0;
  } catch (const std::runtime_error&) {
    return false;
  }
}

bool needs_rehash(std::string_view encoded) {
  const auto parsed = parse_encoded(encoded);
  return !parsed || parsed->iterations < default_iterations;
}

std::string random_token(std::size_t bytes) {
  return encode_base64url(random_bytes(bytes));
}

std::string sha256_digest(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

std::string sha256_hex(std::string_view text) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string result;
  for (const auto byte : sha256_digest(text)) {
    const auto value = static_cast<unsigned char>(byte);
    result += hex[value >> 4];
    result += hex[value & 0x0f];
  }
  return result;
}

}  // namespace gpt_adapter::auth
