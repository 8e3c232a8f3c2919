// The token, revocation and introspection endpoints' input: a Content-Type, a body and an
// Authorization header (the input is split at its first two NUL bytes), through the same
// parsers, plus the authorization endpoint's query and what each request goes on to decode
// (scopes, PKCE, redirect URIs).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/pkce.hpp"
#include "common/auth/redirect_uri.hpp"
#include "common/auth/scopes.hpp"
#include "common/auth/token_endpoint_request.hpp"
#include "common/text/percent_encoding.hpp"

namespace auth = gpt_adapter::auth;

const std::vector<std::string> registered{"https://chatgpt.com/aip/*/oauth/callback",
                                          "https://example.com/cb?x=1"};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const auto next = [&rest]() -> std::optional<std::string_view> {
    if (rest.empty()) {
      return std::nullopt;
    }
    const auto end = rest.find('\0');
    const auto part = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return part;
  };
  const auto content_type = next().value_or("application/x-www-form-urlencoded");
  const auto body = next().value_or("");
  const auto authorization = next();
  const auto whole = std::string_view(reinterpret_cast<const char*>(data), size);

  if (const auto request = auth::parse_token_request(content_type, body, authorization)) {
    if (request->scope) {
      (void)auth::parse_scopes(*request->scope);
    }
    (void)auth::is_valid_code_verifier(request->code_verifier);
    (void)auth::verify_code_verifier(request->code_verifier, body, auth::pkce_method::s256);
  }
  (void)auth::parse_token_management_request(content_type, body, authorization);
  if (const auto params = auth::parse_form_parameters(whole)) {
    for (const auto& [name, value] : params.value()) {
      (void)auth::parse_pkce_method(value);
      (void)auth::is_valid_code_challenge(value, auth::pkce_method::s256);
      (void)auth::redirect_uri_allowed(value, registered);
    }
  }
  (void)auth::form_url_decode(whole);
  (void)gpt_adapter::text::percent_decode(whole, gpt_adapter::text::plus_sign::space);
  return 0;
}
