#include "api/oauth/client_registration.hpp"

#include <algorithm>
#include <array>

#include <boost/json/array.hpp>

#include "api/memory/memory_requests.hpp"
#include "common/auth/redirect_uri.hpp"

namespace gpt_adapter::api::oauth {
namespace {

namespace json = boost::json;

registration_error invalid_metadata(std::string description) {
  return {"invalid_client_metadata", std::move(description)};
}

// The string members of an array member; std::nullopt when it is not an array of strings.
std::optional<std::vector<std::string>> strings_of(const json::value& value) {
  if (!value.is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> strings;
  for (const auto& entry : value.as_array()) {
    if (!entry.is_string()) {
      return std::nullopt;
    }
    strings.emplace_back(entry.as_string());
  }
  return strings;
}

template <std::size_t N>
bool all_within(const std::vector<std::string>& values,
                const std::array<std::string_view, N>& allowed) {
  return std::all_of(values.begin(), values.end(), [&](const std::string& value) {
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
  });
}

}  // namespace

auth::value_or_error<client_metadata, registration_error> parse_client_metadata(
    const json::object& document, std::string_view default_name,
    std::string_view default_auth_method, const auth::scope_set& grantable) {
  client_metadata metadata{.client_name = std::string(default_name),
                           .token_endpoint_auth_method = std::string(default_auth_method),
                           .scopes = grantable};
  const auto* redirect_uris = document.if_contains("redirect_uris");
  const auto uris = redirect_uris ? strings_of(*redirect_uris) : std::nullopt;
  if (!uris || uris->empty()) {
    return registration_error{"invalid_redirect_uri",
                              "redirect_uris must be a non-empty array of URIs"};
  }
  if (uris->size() > max_redirect_uris) {
    return registration_error{"invalid_redirect_uri", "at most 10 redirect_uris"};
  }
  for (const auto& uri : *uris) {
    // A client may not claim the GPT callback patterns, which only an operator may register.
    if (uri.find('*') != std::string::npos) {
      return registration_error{"invalid_redirect_uri", "redirect URIs cannot contain '*'"};
    }
    if (const auto problem = auth::redirect_uri_registration_problem(uri)) {
      return registration_error{"invalid_redirect_uri", uri + ": " + *problem};
    }
  }
  metadata.redirect_uris = *uris;

  if (const auto* name = document.if_contains("client_name")) {
    if (!name->is_string() || name->as_string().empty() ||
        memory::count_code_points(name->as_string()) > max_client_name_chars) {
      return invalid_metadata("client_name must be a string of 1 to 100 characters");
    }
    metadata.client_name = std::string(name->as_string());
  }
  if (const auto* method = document.if_contains("token_endpoint_auth_method")) {
    constexpr std::array<std::string_view, 3> supported{"none", "client_secret_basic",
                                                        "client_secret_post"};
    if (!method->is_string() ||
        std::find(supported.begin(), supported.end(), method->as_string()) == supported.end()) {
      return invalid_metadata(
          "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post");
    }
    metadata.token_endpoint_auth_method = std::string(method->as_string());
  }
  if (const auto* grants = document.if_contains("grant_types")) {
    const auto listed = strings_of(*grants);
    constexpr std::array<std::string_view, 2> supported{"authorization_code", "refresh_token"};
    if (!listed || !all_within(*listed, supported)) {
      return invalid_metadata("grant_types may only list authorization_code and refresh_token");
    }
  }
  if (const auto* responses = document.if_contains("response_types")) {
    const auto listed = strings_of(*responses);
    constexpr std::array<std::string_view, 1> supported{"code"};
    if (!listed || !all_within(*listed, supported)) {
      return invalid_metadata("response_types may only list code");
    }
  }
  if (const auto* type = document.if_contains("application_type")) {
    if (!type->is_string() || (type->as_string() != "web" && type->as_string() != "native")) {
      return invalid_metadata("application_type must be web or native");
    }
  }
  if (const auto* scope = document.if_contains("scope")) {
    if (!scope->is_string()) {
      return invalid_metadata("scope must be a space-separated list of known scopes");
    }
    const auto parsed = auth::parse_scopes(scope->as_string());
    if (!parsed) {
      return invalid_metadata("scope must be a space-separated list of known scopes");
    }
    auth::scope_set narrowed;
    for (const auto& name : parsed.value()) {
      if (!grantable.contains(name)) {
        return invalid_metadata("scope " + name + " cannot be granted to registered clients");
      }
      narrowed.insert(name);
    }
    if (!narrowed.empty()) {
      metadata.scopes = std::move(narrowed);
    }
  }
  return metadata;
}

}  // namespace gpt_adapter::api::oauth
