#pragma once

#include <optional>
#include <string>
#include <string_view>

// Base64 (RFC 4648) for the auth code: standard alphabet for stored hashes and HTTP Basic
// credentials, URL-safe alphabet for JOSE (JWS segments, JWK members, PKCE challenges) and
// generated tokens. Byte strings travel as std::string.
namespace gpt_adapter::auth {

enum class base64_alphabet { standard, url };

enum class base64_padding {
  forbidden,  // JOSE and the project's own encodings never pad (RFC 7515 §2)
  optional,   // HTTP Basic credentials are padded, but some clients strip it
};

// `bytes` encoded without padding.
std::string encode_base64(std::string_view bytes, base64_alphabet alphabet);

// Strict decoding: only characters of `alphabet` (no whitespace), padding as `padding` allows,
// and only canonical encodings (unused trailing bits zero), so a decoded value has exactly one
// accepted text form. std::nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text, base64_alphabet alphabet,
                                         base64_padding padding = base64_padding::forbidden);

inline std::string encode_base64url(std::string_view bytes) {
  return encode_base64(bytes, base64_alphabet::url);
}

inline std::optional<std::string> decode_base64url(std::string_view text) {
  return decode_base64(text, base64_alphabet::url);
}

}  // namespace gpt_adapter::auth
