#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

// Matching of the redirect_uri a client presents against what the operator registered for it
// (RFC 9700 §4.1.3: exact string matching), and what may be registered at all (by an operator
// with gpt-adapter-admin, or by a client through dynamic registration).
namespace gpt_adapter::auth {

// The registered values whose GPT-id segment is a wildcard: ChatGPT changes that segment
// whenever a GPT's OAuth settings are edited. `*` matches exactly one non-empty segment of
// [A-Za-z0-9_-] (at most 128 characters) and is a wildcard nowhere else.
inline constexpr std::string_view chat_openai_callback_pattern =
    "https://chat.openai.com/aip/*/oauth/callback";
inline constexpr std::string_view chatgpt_callback_pattern =
    "https://chatgpt.com/aip/*/oauth/callback";

// Whether `presented` is acceptable for the registered value `registered`: an identical string,
// or, for one of the two callback patterns, the pattern with its `*` replaced by a GPT id.
// A presented URI with a fragment, user information, spaces, control or non-ASCII characters,
// or longer than 2000 characters never matches.
bool redirect_uri_matches(std::string_view presented, std::string_view registered);

// Whether `presented` matches any of the application's registered redirect URIs.
bool redirect_uri_allowed(std::string_view presented, std::span<const std::string> registered);

// Why `uri` may not be registered, or std::nullopt when it may: an absolute https URI (http only
// for localhost, 127.0.0.1 and [::1]) without fragment or user information, at most 2000
// characters of visible ASCII that needs no encoding, with '*' only as the GPT id of the two
// callback patterns.
std::optional<std::string> redirect_uri_registration_problem(std::string_view uri);

}  // namespace gpt_adapter::auth
