#pragma once

#include <string>
#include <string_view>

// API keys for the GPT editor's "API key / Bearer" mode: static secrets an operator creates for
// an application. Shared by the admin CLI, which makes them, and the API, which accepts them.
namespace gpt_adapter::auth {

// Every key starts with this, so a key is recognisable in a leaked config or a secret scanner,
// and the API tells it from a JWT (which starts with "eyJ") without trying to parse it.
inline constexpr std::string_view api_key_prefix = "gpta_sk_";

// Characters of a key kept in clear for listings ("gpta_sk_" and four more): enough to tell
// keys apart, far too few to guess the rest (256 random bits).
inline constexpr std::size_t api_key_display_length = api_key_prefix.size() + 4;

// A new key: the prefix and 32 random bytes as base64url.
std::string generate_api_key();

// Whether `credential` has the shape of a key this adapter makes (prefix, then 43 base64url
// characters). Shape only: whether the key exists is for the database to say.
bool is_api_key_shaped(std::string_view credential);

// The start of `key` shown in listings.
std::string api_key_display_prefix(std::string_view key);

}  // namespace gpt_adapter::auth
