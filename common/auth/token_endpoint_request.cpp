#include "common/auth/token_endpoint_request.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <functional>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/auth/base64.hpp"
#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::auth {
namespace {

using parameters = form_parameters;

constexpr std::array<std::string_view, 11> known_parameters{
    "grant_type",   "client_id",       "client_secret", "code",
    "redirect_uri", "code_verifier",   "refresh_token", "scope",
    "token",        "token_type_hint", "resource"};

bool is_known(std::string_view name) {
  return std::find(known_parameters.begin(), known_parameters.end(), name) !=
         known_parameters.end();
}

oauth_error invalid_request(std::string description) {
  return oauth_error{oauth_error_code::invalid_request, std::move(description)};
}

oauth_error invalid_client(std::string description) {
  return oauth_error{oauth_error_code::invalid_client, std::move(description)};
}

// Names only the parameters the server defines, so no request data is echoed.
std::string parameter_label(std::string_view name) {
  return is_known(name) ? "the parameter " + std::string(name) : std::string("a parameter");
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool equals_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(a) == lower(b);
         });
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

value_or_error<parameters, oauth_error> parse_form_text(std::string_view body) {
  parameters found;
  while (!body.empty()) {
    const auto pair = body.substr(0, body.find('&'));
    body.remove_prefix(std::min(body.size(), pair.size() + 1));
    if (pair.empty()) {
      continue;
    }
    const auto equals = pair.find('=');
    const auto name = form_url_decode(pair.substr(0, equals));
    const auto value = form_url_decode(equals == std::string_view::npos ? std::string_view()
                                                                        : pair.substr(equals + 1));
    if (!name || !value) {
      return invalid_request("the body is not valid application/x-www-form-urlencoded");
    }
    if (!found.emplace(*name, *value).second) {
      return invalid_request(parameter_label(*name) + " is given more than once");
    }
  }
  return found;
}

value_or_error<parameters, oauth_error> parse_json(std::string_view body) {
  boost::system::error_code error;
  const auto value = boost::json::parse(body, error);
  if (error || !value.is_object()) {
    return invalid_request("the body is not a JSON object");
  }
  parameters found;
  for (const auto& member : value.get_object()) {
    if (!is_known(member.key())) {
      continue;
    }
    if (!member.value().is_string()) {
      return invalid_request(parameter_label(member.key()) + " must be a string");
    }
    found.emplace(member.key(), member.value().get_string());
  }
  return found;
}

value_or_error<parameters, oauth_error> parse_body(std::string_view content_type,
                                                   std::string_view body) {
  const auto media_type = trim(content_type.substr(0, content_type.find(';')));
  if (equals_ignoring_case(media_type, "application/x-www-form-urlencoded")) {
    return parse_form_text(body);
  }
  if (equals_ignoring_case(media_type, "application/json")) {
    try {
      return parse_json(body);
    } catch (const std::exception&) {
      return invalid_request("the body is not a JSON object");
    }
  }
  return invalid_request("the body must be application/x-www-form-urlencoded");
}

struct basic_credentials {
  std::string client_id;
  std::string client_secret;
};

value_or_error<basic_credentials, oauth_error> parse_basic(std::string_view header) {
  header = trim(header);
  const auto scheme = header.substr(0, header.find(' '));
  if (!equals_ignoring_case(scheme, "Basic")) {
    return invalid_client("only HTTP Basic client authentication is supported");
  }
  const auto decoded = decode_base64(trim(header.substr(scheme.size())), base64_alphabet::standard,
                                     base64_padding::optional);
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    return invalid_client("the Basic credentials are not base64 of client_id:client_secret");
  }
  auto client_id = form_url_decode(std::string_view(*decoded).substr(0, colon));
  auto client_secret = form_url_decode(std::string_view(*decoded).substr(colon + 1));
  if (!client_id || !client_secret || client_id->empty() || has_control_characters(*client_id) ||
      has_control_characters(*client_secret)) {
    return invalid_client("the Basic credentials are not base64 of client_id:client_secret");
  }
  return basic_credentials{std::move(*client_id), std::move(*client_secret)};
}

// A parameter's value; empty counts as absent (RFC 6749 §3.1).
std::string value_of(const parameters& found, std::string_view name) {
  const auto entry = found.find(name);
  return entry == found.end() ? std::string() : entry->second;
}

struct presented_credentials {
  std::string client_id;
  std::string client_secret;
  client_auth_method auth_method = client_auth_method::none;
};

// The client's credentials from the Authorization header or the body (RFC 6749 §2.3.1).
value_or_error<presented_credentials, oauth_error> client_credentials_of(
    const parameters& found, std::optional<std::string_view> authorization) {
  const auto body_client_id = value_of(found, "client_id");
  const auto body_client_secret = value_of(found, "client_secret");
  if (authorization) {
    auto basic = parse_basic(*authorization);
    if (!basic) {
      return basic.error();
    }
    if (!body_client_secret.empty()) {
      return invalid_request(
          "client credentials are given both in the Authorization header "
          "and in the body; use one method");
    }
    if (!body_client_id.empty() && body_client_id != basic->client_id) {
      return invalid_request("the client_id in the body differs from the Authorization header");
    }
    auto credentials = std::move(basic).value();
    return presented_credentials{std::move(credentials.client_id),
                                 std::move(credentials.client_secret), client_auth_method::basic};
  }
  if (!body_client_id.empty()) {
    return presented_credentials{
        body_client_id, body_client_secret,
        body_client_secret.empty() ? client_auth_method::none : client_auth_method::post};
  }
  return invalid_client("client authentication is required");
}

// The body's parameters, with control characters refused in the ones the server defines.
value_or_error<parameters, oauth_error> checked_body(std::string_view content_type,
                                                     std::string_view body) {
  auto body_parameters = parse_body(content_type, body);
  if (!body_parameters) {
    return body_parameters.error();
  }
  for (const auto& [name, value] : body_parameters.value()) {
    if (is_known(name) && has_control_characters(value)) {
      return invalid_request(parameter_label(name) + " contains control characters");
    }
  }
  return body_parameters;
}

std::optional<grant_type> parse_grant_type(std::string_view name) {
  for (const auto type : {grant_type::authorization_code, grant_type::refresh_token,
                          grant_type::client_credentials}) {
    if (name == grant_type_name(type)) {
      return type;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view grant_type_name(grant_type type) {
  switch (type) {
    case grant_type::authorization_code:
      return "authorization_code";
    case grant_type::refresh_token:
      return "refresh_token";
    case grant_type::client_credentials:
      return "client_credentials";
  }
  return "";
}

std::optional<std::string> form_url_decode(std::string_view text) {
  return text::percent_decode(text, text::plus_sign::space);
}

value_or_error<token_request, oauth_error> parse_token_request(
    std::string_view content_type, std::string_view body,
    std::optional<std::string_view> authorization) {
  const auto body_parameters = checked_body(content_type, body);
  if (!body_parameters) {
    return body_parameters.error();
  }
  const auto& found = body_parameters.value();

  token_request request{};
  auto credentials = client_credentials_of(found, authorization);
  if (!credentials) {
    return credentials.error();
  }
  request.client_id = credentials->client_id;
  request.client_secret = credentials->client_secret;
  request.auth_method = credentials->auth_method;

  const auto grant_name = value_of(found, "grant_type");
  if (grant_name.empty()) {
    return invalid_request("the parameter grant_type is required");
  }
  const auto grant = parse_grant_type(grant_name);
  if (!grant) {
    return oauth_error{oauth_error_code::unsupported_grant_type,
                       "supported grant types: authorization_code, refresh_token, "
                       "client_credentials"};
  }
  request.grant = *grant;
  request.code = value_of(found, "code");
  request.redirect_uri = value_of(found, "redirect_uri");
  request.code_verifier = value_of(found, "code_verifier");
  request.refresh_token = value_of(found, "refresh_token");
  if (const auto scope = found.find("scope"); scope != found.end()) {
    request.scope = scope->second;
  }
  request.resource = value_of(found, "resource");
  if (request.grant == grant_type::authorization_code && request.code.empty()) {
    return invalid_request("the parameter code is required for authorization_code");
  }
  if (request.grant == grant_type::refresh_token && request.refresh_token.empty()) {
    return invalid_request("the parameter refresh_token is required for refresh_token");
  }
  return request;
}

value_or_error<token_management_request, oauth_error> parse_token_management_request(
    std::string_view content_type, std::string_view body,
    std::optional<std::string_view> authorization) {
  const auto body_parameters = checked_body(content_type, body);
  if (!body_parameters) {
    return body_parameters.error();
  }
  const auto& found = body_parameters.value();
  auto credentials = client_credentials_of(found, authorization);
  if (!credentials) {
    return credentials.error();
  }
  token_management_request request{.client_id = credentials->client_id,
                                   .client_secret = credentials->client_secret,
                                   .auth_method = credentials->auth_method,
                                   .token = value_of(found, "token"),
                                   .token_type_hint = value_of(found, "token_type_hint")};
  if (request.token.empty()) {
    return invalid_request("the parameter token is required");
  }
  return request;
}

value_or_error<form_parameters, oauth_error> parse_form_parameters(std::string_view text) {
  return parse_form_text(text);
}

}  // namespace gpt_adapter::auth
