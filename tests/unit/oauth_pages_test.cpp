#include <catch2/catch.hpp>

#include "api/oauth/authorization_codes.hpp"
#include "api/oauth/authorize_page.hpp"

using namespace gpt_adapter::api::oauth;
using Catch::Matchers::Contains;

TEST_CASE("oauth pages: HTML escaping covers text and both attribute quotes", "[oauth]") {
  CHECK(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(html_escape("plain text") == "plain text");
  CHECK(html_escape("") == "");
}

TEST_CASE("oauth pages: the sign-in page escapes every value it shows or carries", "[oauth]") {
  const auto html = render_sign_in_page(
      {.application_name = "<script>alert(1)</script> GPT",
       .scopes = {"memories:read", "memories:write"},
       .request_fields = {{"state", "\"><img src=x onerror=alert(1)>"},
                          {"redirect_uri", "https://chatgpt.com/aip/g-1/oauth/callback"}},
       .csrf_token = "csrf-token-value",
       .form_action = "/oauth/authorize",
       .username = "o'brien",
       .error = "The username or password is incorrect."});
  CHECK_THAT(html, !Contains("<script>"));
  CHECK_THAT(html, Contains("&lt;script&gt;alert(1)&lt;/script&gt; GPT"));
  CHECK_THAT(html, !Contains("\"><img"));
  CHECK_THAT(html, Contains("value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""));
  CHECK_THAT(html, Contains("name=\"csrf_token\" value=\"csrf-token-value\""));
  CHECK_THAT(html, Contains("value=\"o&#39;brien\""));
  CHECK_THAT(html, Contains("Read your memories"));
  CHECK_THAT(html, Contains("Create, change and delete your memories"));
  CHECK_THAT(html, Contains("The username or password is incorrect."));
  CHECK_THAT(html, Contains("method=\"post\" action=\"/oauth/authorize\""));
  // Works without JavaScript: a plain form, no script at all.
  CHECK_THAT(html, !Contains("<script"));
}

TEST_CASE("oauth pages: the error page escapes its message", "[oauth]") {
  const auto html = render_error_page("Bad <request>", "redirect_uri <x> is not registered");
  CHECK_THAT(html, Contains("Bad &lt;request&gt;"));
  CHECK_THAT(html, Contains("redirect_uri &lt;x&gt; is not registered"));
}

TEST_CASE("oauth authorization codes: a grant survives encoding, junk does not decode", "[oauth]") {
  const authorization_grant grant{.application_id = "7d0f4a52-2e7b-4e3c-9c55-0d6f0e1c2a3b",
                                  .client_id = "gpta_x",
                                  .redirect_uri = "https://chatgpt.com/aip/g-1/oauth/callback",
                                  .end_user_id = "0b6a8c1e-9f43-4d7b-8a0e-6c2d5e4f3a21",
                                  .scope = "memories:read memories:write",
                                  .code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                                  .code_challenge_method = "S256"};
  const auto decoded = decode_authorization_grant(encode_authorization_grant(grant));
  REQUIRE(decoded);
  CHECK(*decoded == grant);
  CHECK_FALSE(decode_authorization_grant("not json"));
  CHECK_FALSE(decode_authorization_grant("[]"));
  CHECK_FALSE(decode_authorization_grant(R"({"client_id":"x"})"));
  CHECK_FALSE(decode_authorization_grant(
      R"({"application_id":1,"client_id":"x","redirect_uri":"","end_user_id":"","scope":"",)"
      R"("code_challenge":"","code_challenge_method":""})"));
  // The key holds a hash of the code, never the code.
  const auto key = authorization_code_key("the-code");
  CHECK(key.starts_with("{gpt-adapter}:oauth-code:"));
  CHECK(key.find("the-code") == std::string::npos);
  CHECK(key.size() == std::string("{gpt-adapter}:oauth-code:").size() + 64);
}
