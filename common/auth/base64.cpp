#include "common/auth/base64.hpp"

namespace gpt_adapter::auth {
namespace {

constexpr std::string_view standard_characters =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_characters =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string_view characters(base64_alphabet alphabet) {
  return alphabet == base64_alphabet::standard ? standard_characters : url_characters;
}

}  // namespace

std::string encode_base64(std::string_view bytes, base64_alphabet alphabet) {
  const auto table = characters(alphabet);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned group = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    text += table[(group >> 18) & 63];
    text += table[(group >> 12) & 63];
    text += table[(group >> 6) & 63];
    text += table[group & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned group = byte(i) << 16;
    text += table[(group >> 18) & 63];
    text += table[(group >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned group = (byte(i) << 16) | (byte(i + 1) << 8);
    text += table[(group >> 18) & 63];
    text += table[(group >> 12) & 63];
    text += table[(group >> 6) & 63];
  }
  return text;
}

std::optional<std::string> decode_base64(std::string_view text, base64_alphabet alphabet,
                                         base64_padding padding) {
  if (padding == base64_padding::optional && !text.empty() && text.size() % 4 == 0) {
    for (int stripped = 0; stripped < 2 && text.ends_with('='); ++stripped) {
      text.remove_suffix(1);
    }
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  const auto table = characters(alphabet);
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  unsigned accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    const auto position = table.find(c);
    if (position == std::string_view::npos) {
      return std::nullopt;
    }
    accumulator = ((accumulator << 6) | static_cast<unsigned>(position)) & 0xffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  if ((accumulator & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return bytes;
}

}  // namespace gpt_adapter::auth
