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
  if (const auto problem = auth::redirect_uri_registration_problem(uri)) {
    throw invalid_input("'" + std::string(uri) + "' is not an accepted redirect URI: " + *problem);
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
