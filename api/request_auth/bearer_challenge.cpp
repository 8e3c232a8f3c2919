#include "api/request_auth/bearer_challenge.hpp"

#include <algorithm>
#include <cctype>

namespace gpt_adapter::api::request_auth {
namespace {

// RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_token68(std::string_view text) {
  const auto padding = text.find_last_not_of('=');
  if (padding == std::string_view::npos) {
    return false;
  }
  const auto body = text.substr(0, padding + 1);
  return std::all_of(body.begin(), body.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
           c == '/';
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 6749 §5.2 error_description: %x20-21 / %x23-5B / %x5D-7E (no '"' or '\').
std::string quoted_safe(std::string_view text) {
  std::string safe(text);
  for (auto& c : safe) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      c = '?';
    }
  }
  return safe;
}

}  // namespace

bearer_header parse_bearer_header(std::optional<std::string_view> header) {
  if (!header) {
    return {};
  }
  const auto space = header->find(' ');
  if (!iequals(header->substr(0, space), "Bearer")) {
    return {};
  }
  if (space == std::string_view::npos) {
    return {.kind = bearer_header::state::malformed};
  }
  auto token = header->substr(space);
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  while (!token.empty() && token.back() == ' ') {
    token.remove_suffix(1);
  }
  if (!is_token68(token)) {
    return {.kind = bearer_header::state::malformed};
  }
  return {.kind = bearer_header::state::present, .token = token};
}

std::string bearer_challenge(std::string_view realm, std::optional<std::string_view> error,
                             std::string_view description, std::string_view scope,
                             std::string_view resource_metadata) {
  std::string challenge = "Bearer realm=\"" + quoted_safe(realm) + "\"";
  if (error) {
    challenge += ", error=\"" + quoted_safe(*error) + "\"";
    if (!description.empty()) {
      challenge += ", error_description=\"" + quoted_safe(description) + "\"";
    }
  }
  if (!scope.empty()) {
    challenge += ", scope=\"" + quoted_safe(scope) + "\"";
  }
  if (!resource_metadata.empty()) {
    challenge += ", resource_metadata=\"" + quoted_safe(resource_metadata) + "\"";
  }
  return challenge;
}

}  // namespace gpt_adapter::api::request_auth
