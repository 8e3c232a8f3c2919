#include "common/auth/secret_hash.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace gpt_adapter::auth {
namespace {

constexpr std::string_view scheme = "pbkdf2-sha256";
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;

constexpr std::string_view standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64_unpadded(const unsigned char* data, std::size_t size,
                            std::string_view alphabet) {
  std::string text;
  text.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned group = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    text += alphabet[(group >> 18) & 63];
    text += alphabet[(group >> 12) & 63];
    text += alphabet[(group >> 6) & 63];
    text += alphabet[group & 63];
  }
  if (size - i == 1) {
    const unsigned group = data[i] << 16;
    text += alphabet[(group >> 18) & 63];
    text += alphabet[(group >> 12) & 63];
  } else if (size - i == 2) {
    const unsigned group = (data[i] << 16) | (data[i + 1] << 8);
    text += alphabet[(group >> 18) & 63];
    text += alphabet[(group >> 12) & 63];
    text += alphabet[(group >> 6) & 63];
  }
  return text;
}

// Strict decoding of unpadded standard base64: only canonical encodings (unused trailing bits
// zero) are accepted, so every stored string has exactly one byte sequence and back.
std::optional<std::vector<unsigned char>> decode_base64_unpadded(std::string_view text) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::vector<unsigned char> bytes;
  bytes.reserve(text.size() * 3 / 4);
  unsigned accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    const auto position = standard_alphabet.find(c);
    if (position == std::string_view::npos) {
      return std::nullopt;
    }
    accumulator = (accumulator << 6) | static_cast<unsigned>(position);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<unsigned char>((accumulator >> bits) & 0xff));
    }
  }
  if ((accumulator & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return bytes;
}

struct encoded_hash {
  unsigned iterations;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> hash;
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
  auto salt = decode_base64_unpadded(parts[2]);
  auto hash = decode_base64_unpadded(parts[3]);
  if (!iterations || !salt || !hash || salt->size() < salt_bytes || salt->size() > 64 ||
      hash->size() != hash_bytes) {
    return std::nullopt;
  }
  return encoded_hash{*iterations, std::move(*salt), std::move(*hash)};
}

std::array<unsigned char, hash_bytes> derive(std::string_view secret,
                                             const std::vector<unsigned char>& salt,
                                             unsigned iterations) {
  std::array<unsigned char, hash_bytes> derived{};
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), salt.data(),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(derived.size()), derived.data()) != 1) {
    throw std::runtime_error("PBKDF2-HMAC-SHA256 failed in OpenSSL");
  }
  return derived;
}

void fill_random(unsigned char* data, std::size_t size) {
  if (size > 0 && RAND_bytes(data, static_cast<int>(size)) != 1) {
    throw std::runtime_error("the OpenSSL random generator failed");
  }
}

}  // namespace

std::string hash_secret(std::string_view secret, unsigned iterations) {
  if (iterations < min_iterations || iterations > max_iterations) {
    throw std::invalid_argument("PBKDF2 iterations must be between " +
                                std::to_string(min_iterations) + " and " +
                                std::to_string(max_iterations));
  }
  std::vector<unsigned char> salt(salt_bytes);
  fill_random(salt.data(), salt.size());
  const auto derived = derive(secret, salt, iterations);
  return std::string(scheme) + '$' + std::to_string(iterations) + '$' +
         base64_unpadded(salt.data(), salt.size(), standard_alphabet) + '$' +
         base64_unpadded(derived.data(), derived.size(), standard_alphabet);
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
  std::vector<unsigned char> data(bytes);
  fill_random(data.data(), data.size());
  return base64_unpadded(data.data(), data.size(), url_alphabet);
}

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  constexpr std::string_view hex = "0123456789abcdef";
  std::string result;
  result.reserve(size * 2);
  for (unsigned i = 0; i < size; ++i) {
    result += hex[digest[i] >> 4];
    result += hex[digest[i] & 0x0f];
  }
  return result;
}

}  // namespace gpt_adapter::auth
