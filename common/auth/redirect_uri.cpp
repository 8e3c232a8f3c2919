#include "common/auth/redirect_uri.hpp"

#include <algorithm>

namespace gpt_adapter::auth {
namespace {

constexpr std::size_t max_redirect_uri_length = 2000;
constexpr std::size_t max_gpt_id_length = 128;
constexpr std::string_view callback_suffix = "/oauth/callback";

bool is_gpt_id_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Characters, fragment and user information: what disqualifies a presented URI whatever was
// registered.
bool is_acceptable_form(std::string_view uri) {
  if (uri.empty() || uri.size() > max_redirect_uri_length) {
    return false;
  }
  if (std::any_of(uri.begin(), uri.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7f || c == '#';
      })) {
    return false;
  }
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    return false;
  }
  const auto rest = uri.substr(scheme_end + 3);
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  return authority.find('@') == std::string_view::npos;
}

bool matches_callback_pattern(std::string_view presented, std::string_view pattern) {
  const auto prefix = pattern.substr(0, pattern.find('*'));
  if (!presented.starts_with(prefix) || !presented.ends_with(callback_suffix) ||
      presented.size() <= prefix.size() + callback_suffix.size()) {
    return false;
  }
  const auto gpt_id =
      presented.substr(prefix.size(), presented.size() - prefix.size() - callback_suffix.size());
  return gpt_id.size() <= max_gpt_id_length &&
         std::all_of(gpt_id.begin(), gpt_id.end(), is_gpt_id_character);
}

}  // namespace

bool redirect_uri_matches(std::string_view presented, std::string_view registered) {
  if (!is_acceptable_form(presented)) {
    return false;
  }
  if (registered == chat_openai_callback_pattern || registered == chatgpt_callback_pattern) {
    return matches_callback_pattern(presented, registered);
  }
  return presented == registered;
}

bool redirect_uri_allowed(std::string_view presented, std::span<const std::string> registered) {
  return std::any_of(registered.begin(), registered.end(), [&](const std::string& candidate) {
    return redirect_uri_matches(presented, candidate);
  });
}

}  // namespace gpt_adapter::auth
