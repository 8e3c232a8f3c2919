#include "tests/support/oauth_browser.hpp"

#include <algorithm>
#include <regex>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/auth/base64.hpp"
#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::testing {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

std::string form(const form_fields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body +=
        (body.empty() ? "" : "&") + text::percent_encode(name) + "=" + text::percent_encode(value);
  }
  return body;
}

std::string basic(const std::string& client_id, const std::string& secret) {
  return "Basic " +
         auth::encode_base64(text::percent_encode(client_id) + ":" + text::percent_encode(secret),
                             auth::base64_alphabet::standard);
}

std::map<std::string, std::string> query_of(const std::string& location) {
  std::map<std::string, std::string> params;
  const auto question = location.find('?');
  if (question == std::string::npos) {
    return params;
  }
  std::string_view rest(location);
  rest.remove_prefix(question + 1);
  while (!rest.empty()) {
    const auto pair = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    const auto equals = pair.find('=');
    params[*text::percent_decode(pair.substr(0, equals), text::plus_sign::space)] =
        *text::percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1),
                              text::plus_sign::space);
  }
  return params;
}

std::string json_text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

json::object jwt_claims(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const auto payload = auth::decode_base64url(token.substr(first + 1, second - first - 1));
  REQUIRE(payload);
  return json::parse(*payload).as_object();
}

json::object jwt_header(const std::string& token) {
  const auto header = auth::decode_base64url(token.substr(0, token.find('.')));
  REQUIRE(header);
  return json::parse(*header).as_object();
}

browser_sign_in open_authorize_page(unsigned short port, const std::string& query) {
  browser_sign_in browser;
  browser.page = http_get(port, "/oauth/authorize?" + query);
  const auto set_cookie = browser.page.header("set-cookie");
  browser.cookie = set_cookie.substr(0, set_cookie.find(';'));
  static const std::regex hidden(R"re(<input type="hidden" name="([^"]+)" value="([^"]*)">)re");
  for (std::sregex_iterator match(browser.page.body.begin(), browser.page.body.end(), hidden), end;
       match != end; ++match) {
    // Values are HTML-escaped; the ones in these tests only need &amp; and &quot; back.
    auto value = std::regex_replace((*match)[2].str(), std::regex("&amp;"), "&");
    value = std::regex_replace(value, std::regex("&quot;"), "\"");
    if ((*match)[1] == "csrf_token") {
      browser.csrf_token = value;
    } else {
      browser.hidden_fields.emplace_back((*match)[1], value);
    }
  }
  return browser;
}

http_reply submit_sign_in(unsigned short port, const browser_sign_in& browser,
                          const std::string& username, const std::string& password,
                          const std::string& decision, std::optional<std::string> csrf_override,
                          std::optional<std::string> cookie_override) {
  auto fields = browser.hidden_fields;
  fields.emplace_back("csrf_token", csrf_override.value_or(browser.csrf_token));
  fields.emplace_back("username", username);
  fields.emplace_back("password", password);
  fields.emplace_back("decision", decision);
  return http_request(port, {.method = bhttp::verb::post,
                             .target = "/oauth/authorize",
                             .body = form(fields),
                             .headers = {{"Content-Type", form_content_type},
                                         {"Cookie", cookie_override.value_or(browser.cookie)}}});
}

std::string authorize_query(const registered_application& client, const std::string& state,
                            const form_fields& extra) {
  form_fields fields{{"response_type", "code"},
                     {"client_id", client.client_id},
                     {"redirect_uri", chatgpt_callback},
                     {"state", state},
                     {"scope", ""}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  return form(fields);
}

std::string obtain_code(const api_stack& stack, const registered_application& client,
                        const std::string& username, const std::string& password,
                        const form_fields& extra) {
  const auto browser = open_authorize_page(stack.port(), authorize_query(client, "s-1", extra));
  REQUIRE(browser.page.status == 200);
  const auto reply = submit_sign_in(stack.port(), browser, username, password);
  REQUIRE(reply.status == 303);
  const auto params = query_of(reply.header("location"));
  REQUIRE(params.count("code") == 1);
  return params.at("code");
}

http_reply token_request(const api_stack& stack, const std::string& body,
                         std::vector<std::pair<std::string, std::string>> headers,
                         const std::string& target, const std::string& content_type) {
  headers.emplace_back("Content-Type", content_type);
  auto reply = http_request(
      stack.port(),
      {.method = bhttp::verb::post, .target = target, .body = body, .headers = std::move(headers)});
  if (reply.status >= 500) {
    UNSCOPED_INFO("server output:\n" << stack.api->output());
  }
  return reply;
}

json::object exchange_code(const api_stack& stack, const registered_application& client,
                           const std::string& code, int expected_status, const form_fields& extra) {
  form_fields fields{{"grant_type", "authorization_code"},
                     {"code", code},
                     {"redirect_uri", chatgpt_callback},
                     {"client_id", client.client_id},
                     {"client_secret", client.client_secret}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  const auto reply = token_request(stack, form(fields));
  INFO(reply.body);
  REQUIRE(reply.status == expected_status);
  return reply.json().as_object();
}

json::object refresh(const api_stack& stack, const registered_application& client,
                     const std::string& refresh_token, int expected_status,
                     std::optional<std::string> scope) {
  form_fields fields{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}};
  if (scope) {
    fields.emplace_back("scope", *scope);
  }
  const auto reply = token_request(
      stack, form(fields), {{"Authorization", basic(client.client_id, client.client_secret)}});
  INFO(reply.body);
  REQUIRE(reply.status == expected_status);
  return reply.json().as_object();
}

json::object introspect(const api_stack& stack, const registered_application& client,
                        const std::string& token) {
  const auto reply =
      http_request(stack.port(),
                   {.method = bhttp::verb::post,
                    .target = "/oauth/introspect",
                    .body = form({{"token", token}}),
                    .headers = {{"Content-Type", form_content_type},
                                {"Authorization", basic(client.client_id, client.client_secret)}}});
  REQUIRE(reply.status == 200);
  return reply.json().as_object();
}

http_reply revoke_token(const api_stack& stack, const registered_application& client,
                        const std::string& token) {
  return http_request(
      stack.port(),
      {.method = bhttp::verb::post,
       .target = "/oauth/revoke",
       .body = form({{"token", token}}),
       .headers = {{"Content-Type", form_content_type},
                   {"Authorization", basic(client.client_id, client.client_secret)}}});
}

}  // namespace gpt_adapter::testing
