#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"

// The OAuth 2.0 flows as ChatGPT and the end user's browser go through them against the API:
// the authorization page, the sign-in form, the redirect with a code, and the token endpoint.
namespace gpt_adapter::testing {

using form_fields = std::vector<std::pair<std::string, std::string>>;

// A GPT's callback, matching chatgpt_redirect_pattern.
inline constexpr auto chatgpt_callback = "https://chatgpt.com/aip/g-4f2a9c/oauth/callback";
inline constexpr auto form_content_type = "application/x-www-form-urlencoded";

// application/x-www-form-urlencoded, every name and value percent-encoded.
std::string form(const form_fields& fields);
// An Authorization header for client_secret_basic (RFC 6749 §2.3.1).
std::string basic(const std::string& client_id, const std::string& secret);
// The decoded query parameters of a URL (of a redirect's Location).
std::map<std::string, std::string> query_of(const std::string& location);
// A string member of a JSON object, empty when missing or not a string.
std::string json_text(const boost::json::object& object, std::string_view key);
// The payload and the header of a compact JWS, decoded (the test reads them; it does not
// verify).
boost::json::object jwt_claims(const std::string& token);
boost::json::object jwt_header(const std::string& token);

// What a browser keeps from the authorization page: its cookie, the form's CSRF token and the
// other hidden fields it posts back.
struct browser_sign_in {
  http_reply page;
  std::string cookie;
  std::string csrf_token;
  form_fields hidden_fields;
};

// GET /oauth/authorize?<query>.
browser_sign_in open_authorize_page(unsigned short port, const std::string& query);

// POSTs the sign-in form as the browser does (cookie, CSRF token, hidden fields, credentials);
// the overrides forge the CSRF token or the cookie. Returns the answer (a redirect on success).
http_reply submit_sign_in(unsigned short port, const browser_sign_in& browser,
                          const std::string& username, const std::string& password,
                          const std::string& decision = "allow",
                          std::optional<std::string> csrf_override = std::nullopt,
                          std::optional<std::string> cookie_override = std::nullopt);

// The query of ChatGPT's authorization request: response_type=code, the client, chatgpt_callback,
// `state`, an empty scope (the application's defaults), then `extra` (PKCE...).
std::string authorize_query(const registered_application& client, const std::string& state,
                            const form_fields& extra = {});

// Opens the page, signs in and returns the authorization code of the redirect (required).
std::string obtain_code(const api_stack& stack, const registered_application& client,
                        const std::string& username, const std::string& password,
                        const form_fields& extra = {});

// POST to the token endpoint (or `target`) with `body` of `content_type`.
http_reply token_request(const api_stack& stack, const std::string& body,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         const std::string& target = "/oauth/token",
                         const std::string& content_type = form_content_type);

// The authorization_code grant with client_secret_post in a form body, as ChatGPT's default
// "POST request" setting sends it; requires `expected_status`.
boost::json::object exchange_code(const api_stack& stack, const registered_application& client,
                                  const std::string& code, int expected_status,
                                  const form_fields& extra = {});

// The refresh_token grant with client_secret_basic, and optionally a `scope`; requires
// `expected_status`.
boost::json::object refresh(const api_stack& stack, const registered_application& client,
                            const std::string& refresh_token, int expected_status,
                            std::optional<std::string> scope = std::nullopt);

// POST /oauth/introspect as `client`.
boost::json::object introspect(const api_stack& stack, const registered_application& client,
                               const std::string& token);

// POST /oauth/revoke as `client` (client_secret_basic); the answer.
http_reply revoke_token(const api_stack& stack, const registered_application& client,
                        const std::string& token);

}  // namespace gpt_adapter::testing
