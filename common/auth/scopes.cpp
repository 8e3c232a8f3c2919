#include "common/auth/scopes.hpp"

#include <algorithm>

namespace gpt_adapter::auth {

std::optional<std::string_view> canonical_scope(std::string_view scope) {
  if (scope == memories_read_scope || scope == "memory:read") {
    return memories_read_scope;
  }
  if (scope == memories_write_scope || scope == "memory:write") {
    return memories_write_scope;
  }
  return std::nullopt;
}

std::string unknown_scope::description() const {
  constexpr std::size_t shown_characters = 64;
  std::string shown;
  for (const char c : std::string_view(scope).substr(0, shown_characters)) {
    // RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
    const bool allowed = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    shown += allowed ? c : '?';
  }
  if (scope.size() > shown_characters) {
    shown += "...";
  }
  return "unknown scope '" + shown + "'";
}

value_or_error<scope_set, unknown_scope> parse_scopes(std::string_view text) {
  scope_set scopes;
  while (!text.empty()) {
    const auto start = text.find_first_not_of(' ');
    if (start == std::string_view::npos) {
      break;
    }
    text.remove_prefix(start);
    const auto token = text.substr(0, text.find(' '));
    text.remove_prefix(token.size());
    const auto canonical = canonical_scope(token);
    if (!canonical) {
      return unknown_scope{std::string(token)};
    }
    scopes.emplace(*canonical);
  }
  return scopes;
}

bool scopes_within(const scope_set& requested, const scope_set& allowed) {
  return std::includes(allowed.begin(), allowed.end(), requested.begin(), requested.end());
}

std::string format_scopes(const scope_set& scopes) {
  std::string text;
  for (const auto& scope : scopes) {
    if (!text.empty()) {
      text += ' ';
    }
    text += scope;
  }
  return text;
}

}  // namespace gpt_adapter::auth
