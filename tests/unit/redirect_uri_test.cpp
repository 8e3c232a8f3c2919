#include "common/auth/redirect_uri.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace gpt_adapter::auth;

namespace {

const std::string chatgpt_pattern(chatgpt_callback_pattern);
const std::string openai_pattern(chat_openai_callback_pattern);

}  // namespace

TEST_CASE("auth redirect_uri: an exact registration matches only the identical string",
          "[redirect_uri]") {
  const std::string registered = "https://client.example.com/oauth/callback?tenant=a";
  CHECK(redirect_uri_matches(registered, registered));
  CHECK_FALSE(redirect_uri_matches("https://client.example.com/oauth/callback", registered));
  CHECK_FALSE(
      redirect_uri_matches("https://client.example.com/oauth/callback?tenant=a&x=1", registered));
  CHECK_FALSE(
      redirect_uri_matches("http://client.example.com/oauth/callback?tenant=a", registered));
  CHECK_FALSE(
      redirect_uri_matches("https://client.example.com:443/oauth/callback?tenant=a", registered));
  CHECK_FALSE(
      redirect_uri_matches("https://Client.example.com/oauth/callback?tenant=a", registered));
  CHECK_FALSE(
      redirect_uri_matches("https://client.example.com/OAuth/callback?tenant=a", registered));
  CHECK_FALSE(
      redirect_uri_matches("https://client.example.com/oauth/callback/?tenant=a", registered));
  CHECK_FALSE(
      redirect_uri_matches("https://client.example.com/oauth/%63allback?tenant=a", registered));
  CHECK_FALSE(redirect_uri_matches("", registered));
}

TEST_CASE("auth redirect_uri: a '*' in any other registration is a literal character",
          "[redirect_uri]") {
  const std::string registered = "https://client.example.com/*/callback";
  CHECK(redirect_uri_matches(registered, registered));
  CHECK_FALSE(redirect_uri_matches("https://client.example.com/a/callback", registered));
  CHECK_FALSE(redirect_uri_matches("https://chatgpt.com/aip/g-1/oauth/callback",
                                   "https://chatgpt.com/aip/*/oauth/*"));
  CHECK_FALSE(redirect_uri_matches("https://chatgpt.com/aip/g-1/oauth/callback",
                                   "https://*.com/aip/*/oauth/callback"));
}

TEST_CASE("auth redirect_uri: the ChatGPT callback patterns accept one GPT id segment",
          "[redirect_uri]") {
  CHECK(redirect_uri_matches("https://chatgpt.com/aip/g-abc123DEF456_x/oauth/callback",
                             chatgpt_pattern));
  CHECK(
      redirect_uri_matches("https://chat.openai.com/aip/g-abc123/oauth/callback", openai_pattern));
  CHECK(redirect_uri_matches("https://chatgpt.com/aip/" + std::string(128, 'a') + "/oauth/callback",
                             chatgpt_pattern));
  // Each pattern covers its own host only.
  CHECK_FALSE(
      redirect_uri_matches("https://chat.openai.com/aip/g-abc123/oauth/callback", chatgpt_pattern));
  CHECK_FALSE(
      redirect_uri_matches("https://chatgpt.com/aip/g-abc123/oauth/callback", openai_pattern));
}

TEST_CASE("auth redirect_uri: the ChatGPT callback patterns refuse everything but a plain GPT id",
          "[redirect_uri]") {
  const std::vector<std::string> attempts{
      "https://chatgpt.com/aip/g-1/../evil/oauth/callback",
      "https://chatgpt.com/aip/../oauth/callback",
      "https://chatgpt.com.evil.com/aip/g-1/oauth/callback",
      "https://chatgpt.com@evil.com/aip/g-1/oauth/callback",
      "https://evil.com@chatgpt.com/aip/g-1/oauth/callback",
      "https://chatgpt.com:8443/aip/g-1/oauth/callback",
      "http://chatgpt.com/aip/g-1/oauth/callback",
      "HTTPS://chatgpt.com/aip/g-1/oauth/callback",
      "https://ChatGPT.com/aip/g-1/oauth/callback",
      "https://chatgpt.com/aip/g-1/oauth/callback?x=1",
      "https://chatgpt.com/aip/g-1/oauth/callback#x",
      "https://chatgpt.com/aip/g-1/oauth/callback/",
      "https://chatgpt.com/aip/g-1/OAuth/callback",
      "https://chatgpt.com/aip//oauth/callback",
      "https://chatgpt.com/aip/a/b/oauth/callback",
      "https://chatgpt.com/aip/g-1%2F..%2Fevil/oauth/callback",
      "https://chatgpt.com/aip/g.1/oauth/callback",
      "https://chatgpt.com/aip/g 1/oauth/callback",
      "https://chatgpt.com/aip/*/oauth/callback",
      "https://chatgpt.com/aip/g-1?/oauth/callback",
      "https://chatgpt.com/aip/g-1\n/oauth/callback",
      "https://chatgpt.com/aip/g-\xc3\xa9/oauth/callback",
      "https://chatgpt.com/aip/oauth/callback",
      "https://chatgpt.com/aip/" + std::string(129, 'a') + "/oauth/callback",
      "https://chatgpt.com/aip/g-1/oauth/callback/oauth/callback",
  };
  for (const auto& attempt : attempts) {
    INFO(attempt);
    CHECK_FALSE(redirect_uri_matches(attempt, chatgpt_pattern));
  }
}

TEST_CASE("auth redirect_uri: fragments, user information and control characters never match",
          "[redirect_uri]") {
  for (const std::string uri :
       {"https://client.example.com/cb#fragment", "https://user@client.example.com/cb",
        "https://user:pass@client.example.com/cb", "https://client.example.com/c b",
        "https://client.example.com/cb\r\nLocation: https://evil.com"}) {
    INFO(uri);
    // Even a registration that (wrongly) holds the same string does not let it through.
    CHECK_FALSE(redirect_uri_matches(uri, uri));
  }
  // '@' after the authority is an ordinary path or query character.
  const std::string with_at = "https://client.example.com/cb?email=a@b.example";
  CHECK(redirect_uri_matches(with_at, with_at));
}

TEST_CASE("auth redirect_uri: an overlong URI never matches", "[redirect_uri]") {
  const auto uri = "https://client.example.com/" + std::string(2001, 'a');
  CHECK_FALSE(redirect_uri_matches(uri, uri));
  const auto longest = "https://client.example.com/" + std::string(2000 - 27, 'a');
  REQUIRE(longest.size() == 2000);
  CHECK(redirect_uri_matches(longest, longest));
}

TEST_CASE("auth redirect_uri: redirect_uri_allowed tries every registration", "[redirect_uri]") {
  const std::vector<std::string> registered{"https://client.example.com/cb", chatgpt_pattern};
  CHECK(redirect_uri_allowed("https://client.example.com/cb", registered));
  CHECK(redirect_uri_allowed("https://chatgpt.com/aip/g-42/oauth/callback", registered));
  CHECK_FALSE(redirect_uri_allowed("https://chat.openai.com/aip/g-42/oauth/callback", registered));
  CHECK_FALSE(redirect_uri_allowed("https://client.example.com/cb2", registered));
  CHECK_FALSE(redirect_uri_allowed("https://client.example.com/cb", {}));
}
