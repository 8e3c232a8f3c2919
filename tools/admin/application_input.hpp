#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tools/admin/command_line.hpp"

// Validation of what an operator types for a Custom GPT application: scopes, rate limit,
// redirect URIs, status and time windows. Pure; each function throws invalid_input with a
// message that says what is accepted (the caller adds which option it came from).
namespace gpt_adapter::admin {

class invalid_input : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A display name: 1 to 200 characters after trimming spaces, no control characters.
std::string parse_name(std::string_view text);

// Parses a comma-separated scope list (the OAuth scope syntax is space-separated; commas are
// easier to type in a shell). Each scope is spelled as auth::canonical_scope accepts it, the
// seeds' memory:read/memory:write included; returns each scope once, canonical and sorted. At
// least one scope is required.
std::vector<std::string> parse_scopes(std::string_view list);

inline constexpr int min_rate_limit_per_minute = 1;
inline constexpr int max_rate_limit_per_minute = 100000;
int parse_rate_limit(std::string_view text);

// An OAuth redirect URI must be absolute https (http only for localhost, 127.0.0.1 and [::1]),
// without user info or fragment, and is matched exactly. The one exception is ChatGPT's
// callback, whose GPT id segment changes when the GPT's OAuth settings are edited: the
// patterns https://chat.openai.com/aip/*/oauth/callback and
// https://chatgpt.com/aip/*/oauth/callback are accepted, with `*` nowhere else.
void validate_redirect_uri(std::string_view uri);

// "active" or "disabled".
std::string parse_status(std::string_view text);

// A window back from now: <N>m, <N>h or <N>d, at most 366 days.
std::chrono::seconds parse_since(std::string_view text);

// The value of `option` run through `parse` (one of the above), with the option named in any
// complaint; nullopt when the option is not given.
template <typename Parse>
auto parsed_option(const parsed_arguments& arguments, std::string_view option, Parse parse)
    -> std::optional<decltype(parse(std::string_view()))> {
  const auto text = arguments.value(option);
  if (!text) {
    return std::nullopt;
  }
  try {
    return parse(*text);
  } catch (const invalid_input& invalid) {
    throw invalid_input("--" + std::string(option) + ": " + invalid.what());
  }
}

}  // namespace gpt_adapter::admin
