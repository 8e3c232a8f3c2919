#include "common/http/request_id.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <random>

namespace gpt_adapter::http {

bool is_acceptable_request_id(std::string_view candidate) {
  if (candidate.empty() || candidate.size() > 128) {
    return false;
  }
  return std::all_of(candidate.begin(), candidate.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

std::string generate_request_id() {
  // Request ids need uniqueness, not secrecy: a per-thread generator avoids any lock.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::array<std::uint8_t, 16> bytes{};
  const std::uint64_t high = generator();
  const std::uint64_t low = generator();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(high >> (8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(low >> (8 * i));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text.push_back('-');
    }
    text.push_back(hex[bytes[i] >> 4]);
    text.push_back(hex[bytes[i] & 0x0f]);
  }
  return text;
}

}  // namespace gpt_adapter::http
