#include "tools/admin/application_input.hpp"

#include <algorithm>
#include <charconv>

#include "common/auth/redirect_uri.hpp"
#include "common/auth/scopes.hpp"

namespace gpt_adapter::admin {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string known_scopes_text() {
  std::string text;
  for (const auto scope : auth::known_scopes) {
    text += (text.empty() ? "" : ", ") + std::string(scope);
  }
  return text;
}

bool parse_positive(std::string_view text, long long& value) {
  if (text.empty() || text.front() == '+' || text.front() == '-') {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
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
  long long value = 0;
  return port.size() <= 5 && parse_positive(port, value) && value >= 1 && value <= 65535;
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

}  // namespace

std::string parse_name(std::string_view text) {
  const auto name = trim(text);
  const auto characters = std::count_if(name.begin(), name.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  });
  if (characters == 0 || characters > 200) {
    throw invalid_input("expected a name of 1 to 200 characters");
  }
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw invalid_input("a name must not contain control characters");
  }
  return std::string(name);
}

std::vector<std::string> parse_scopes(std::string_view list) {
  std::vector<std::string> scopes;
  while (true) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    if (item.empty()) {
      throw invalid_input("empty scope in the list: expected comma-separated scopes from " +
                          known_scopes_text());
    }
    const auto scope = auth::canonical_scope(item);
    if (!scope) {
      throw invalid_input("unknown scope '" + std::string(item) + "': expected scopes from " +
                          known_scopes_text());
    }
    scopes.emplace_back(*scope);
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

int parse_rate_limit(std::string_view text) {
  long long value = 0;
  if (!parse_positive(text, value) || value < min_rate_limit_per_minute ||
      value > max_rate_limit_per_minute) {
    throw invalid_input("'" + std::string(text) + "' is not a rate limit: expected requests per " +
                        "minute between " + std::to_string(min_rate_limit_per_minute) + " and " +
                        std::to_string(max_rate_limit_per_minute));
  }
  return static_cast<int>(value);
}

void validate_redirect_uri(std::string_view uri) {
  const auto invalid = [&](const std::string& why) {
    return invalid_input("'" + std::string(uri) + "' is not an accepted redirect URI: " + why);
  };
  if (uri.size() > 2000) {
    throw invalid("longer than 2000 characters");
  }
  if (std::any_of(uri.begin(), uri.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>';
      })) {
    throw invalid("contains spaces, control characters or characters that must be encoded");
  }
  if (uri.find('*') != std::string_view::npos) {
    if (uri != auth::chat_openai_callback_pattern && uri != auth::chatgpt_callback_pattern) {
      throw invalid(
          "'*' is only accepted as the GPT id in https://chat.openai.com/aip/*/oauth/callback "
          "or https://chatgpt.com/aip/*/oauth/callback");
    }
    return;
  }

  bool secure = true;
  std::string_view rest;
  if (uri.starts_with("https://")) {
    rest = uri.substr(8);
  } else if (uri.starts_with("http://")) {
    secure = false;
    rest = uri.substr(7);
  } else {
    throw invalid("expected an absolute https:// URI");
  }
  if (uri.find('#') != std::string_view::npos) {
    throw invalid("a redirect URI must not contain a fragment (#)");
  }
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    throw invalid("a redirect URI must not contain user information (@)");
  }
  auto host = authority;
  const auto port_separator = authority.rfind(':');
  if (port_separator != std::string_view::npos &&
      authority.find(']', port_separator) == std::string_view::npos) {
    host = authority.substr(0, port_separator);
    if (!is_valid_port(authority.substr(port_separator + 1))) {
      throw invalid("the port must be a number between 1 and 65535");
    }
  }
  if (!is_valid_host(host)) {
    throw invalid("missing or invalid host");
  }
  if (!secure && !is_loopback_host(host)) {
    throw invalid("http:// is only accepted for localhost, 127.0.0.1 and [::1]; use https://");
  }
}

std::string parse_status(std::string_view text) {
  if (text != "active" && text != "disabled") {
    throw invalid_input("'" + std::string(text) + "' is not a status: expected active or disabled");
  }
  return std::string(text);
}

std::chrono::seconds parse_since(std::string_view text) {
  const auto invalid = [&] {
    return invalid_input("'" + std::string(text) +
                         "' is not a time window: expected a number followed by m, h or d "
                         "(e.g. 30m, 24h, 7d), at most 366d");
  };
  if (text.size() < 2) {
    throw invalid();
  }
  long long amount = 0;
  if (!parse_positive(text.substr(0, text.size() - 1), amount) || amount == 0 ||
      amount > 366LL * 24 * 60) {
    throw invalid();
  }
  std::chrono::seconds window;
  switch (text.back()) {
    case 'm':
      window = std::chrono::minutes(amount);
      break;
    case 'h':
      window = std::chrono::hours(amount);
      break;
    case 'd':
      window = std::chrono::days(amount);
      break;
    default:
      throw invalid();
  }
  if (window > std::chrono::days(366)) {
    throw invalid();
  }
  return window;
}

}  // namespace gpt_adapter::admin
