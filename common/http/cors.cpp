#include "common/http/cors.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <utility>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace gpt_adapter::http {
namespace {

namespace bhttp = boost::beast::http;

bool is_host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool is_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-' ||
      host.back() == '.' || host.back() == '-' || host.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), is_host_character);
}

bool is_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.front() == '0') {
    return false;
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= 1 && value <= 65535;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

bool is_origin(std::string_view text) {
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else {
    return false;
  }
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return is_host(rest);
  }
  return is_host(rest.substr(0, colon)) && is_port(rest.substr(colon + 1));
}

std::string_view origin_in_header_lines(std::string_view lines) {
  constexpr std::string_view name = "origin:";
  for (auto end = lines.find("\r\n"); end != std::string_view::npos && end != 0;
       end = lines.find("\r\n")) {
    const auto line = lines.substr(0, end);
    if (line.size() >= name.size() && boost::beast::iequals(line.substr(0, name.size()), name)) {
      return trimmed(line.substr(name.size()));
    }
    lines.remove_prefix(end + 2);
  }
  return {};
}

cors_policy::cors_policy(std::vector<std::string> allowed_origins)
    : origins_(std::move(allowed_origins)) {
  for (const auto& origin : origins_) {
    if (!is_origin(origin)) {
      throw std::invalid_argument(
          "'" + origin +
          "' is not an origin: expected scheme://host[:port] in lower case, e.g. "
          "https://chat.openai.com");
    }
  }
}

cors_policy cors_policy::parse(std::string_view origins) {
  std::vector<std::string> listed;
  if (trimmed(origins).empty()) {
    return cors_policy();
  }
  while (true) {
    const auto comma = origins.find(',');
    const auto entry = trimmed(origins.substr(0, comma));
    if (entry.empty()) {
      throw std::invalid_argument("an entry of the list is empty");
    }
    listed.emplace_back(entry);
    if (comma == std::string_view::npos) {
      break;
    }
    origins.remove_prefix(comma + 1);
  }
  return cors_policy(std::move(listed));
}

bool cors_policy::allows(std::string_view origin) const {
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

bool cors_policy::answer_preflight(const request& preflight, const std::vector<verb>& methods,
                                   response& answer) const {
  const auto origin = preflight[bhttp::field::origin];
  if (preflight.method() != verb::options || methods.empty() || !allows(origin) ||
      preflight[bhttp::field::access_control_request_method].empty()) {
    return false;
  }
  std::string allowed_methods;
  for (const auto method : methods) {
    if (!allowed_methods.empty()) {
      allowed_methods += ", ";
    }
    allowed_methods += bhttp::to_string(method);
  }
  answer = response{bhttp::status::no_content, preflight.version()};
  answer.set(bhttp::field::access_control_allow_origin, origin);
  answer.set(bhttp::field::vary, "Origin");
  answer.set(bhttp::field::access_control_allow_methods, allowed_methods);
  answer.set(bhttp::field::access_control_allow_headers, cors_allowed_headers);
  answer.set(bhttp::field::access_control_max_age, std::to_string(cors_max_age_seconds));
  answer.prepare_payload();
  return true;
}

void cors_policy::decorate(std::string_view origin, response& answer) const {
  if (!enabled()) {
    return;
  }
  answer.set(bhttp::field::vary, "Origin");
  if (origin.empty() || !allows(origin)) {
    return;
  }
  answer.set(bhttp::field::access_control_allow_origin, origin);
  answer.set(bhttp::field::access_control_expose_headers, cors_exposed_headers);
}

}  // namespace gpt_adapter::http
