#include "common/auth/redirect_uri.hpp"

#include <algorithm>
#include <charconv>

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

bool is_valid_host(std::string_view host) {
  if (host.starts_with('[')) {
    return host.size() > 2 && host.ends_with(']') &&
           host.substr(1, host.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") ==
               std::string_view::npos;
  }
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-' ||
      host.find("..") != std::string_view::npos) {
    return false;
  }
  return host.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
         std::string_view::npos;
}

bool is_valid_port(std::string_view port) {
  int value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && port.size() <= 5 && port.front() != '+' && port.front() != '-' &&
         error == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
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

std::optional<std::string> redirect_uri_registration_problem(std::string_view uri) {
  if (uri.size() > 2000) {
    return std::string("longer than 2000 characters");
  }
  if (std::any_of(uri.begin(), uri.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>';
      })) {
    return std::string("contains spaces, control characters or characters that must be encoded");
  }
  if (uri.find('*') != std::string_view::npos) {
    if (uri != chat_openai_callback_pattern && uri != chatgpt_callback_pattern) {
      return std::string(
          "'*' is only accepted as the GPT id in https://chat.openai.com/aip/*/oauth/callback "
          "or https://chatgpt.com/aip/*/oauth/callback");
    }
    return std::nullopt;
  }

  bool secure = true;
  std::string_view rest;
  if (uri.starts_with("https://")) {
    rest = uri.substr(8);
  } else if (uri.starts_with("http://")) {
    secure = false;
    rest = uri.substr(7);
  } else {
    return std::string("expected an absolute https:// URI");
  }
  if (uri.find('#') != std::string_view::npos) {
    return std::string("a redirect URI must not contain a fragment (#)");
  }
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    return std::string("a redirect URI must not contain user information (@)");
  }
  auto host = authority;
  const auto port_separator = authority.rfind(':');
  if (port_separator != std::string_view::npos &&
      authority.find(']', port_separator) == std::string_view::npos) {
    host = authority.substr(0, port_separator);
    if (!is_valid_port(authority.substr(port_separator + 1))) {
      return std::string("the port must be a number between 1 and 65535");
    }
  }
  if (!is_valid_host(host)) {
    return std::string("missing or invalid host");
  }
  if (!secure && !is_loopback_host(host)) {
    return std::string("http:// is only accepted for localhost, 127.0.0.1 and [::1]; use https://");
  }
  return std::nullopt;
}

}  // namespace gpt_adapter::auth
