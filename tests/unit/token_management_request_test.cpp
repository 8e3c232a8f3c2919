#include <catch2/catch.hpp>

#include "common/auth/base64.hpp"
#include "common/auth/token_endpoint_request.hpp"

using namespace gpt_adapter::auth;

namespace {

constexpr std::string_view form = "application/x-www-form-urlencoded";

std::string basic(std::string_view id, std::string_view secret) {
  return "Basic " +
         encode_base64(std::string(id) + ":" + std::string(secret), base64_alphabet::standard);
}

}  // namespace

TEST_CASE("auth token management request: the token and either client authentication",
          "[auth][oauth]") {
  const auto post = parse_token_management_request(
      form, "token=abc&token_type_hint=refresh_token&client_id=gpta_1&client_secret=s3cret",
      std::nullopt);
  REQUIRE(post);
  CHECK(post->token == "abc");
  CHECK(post->token_type_hint == "refresh_token");
  CHECK(post->client_id == "gpta_1");
  CHECK(post->client_secret == "s3cret");
  CHECK(post->auth_method == client_auth_method::post);

  const auto header = basic("gpta_1", "s3cret");
  const auto with_basic = parse_token_management_request(form, "token=abc", header);
  REQUIRE(with_basic);
  CHECK(with_basic->client_id == "gpta_1");
  CHECK(with_basic->client_secret == "s3cret");
  CHECK(with_basic->auth_method == client_auth_method::basic);

  const auto json = parse_token_management_request(
      "application/json", R"({"token":"abc","client_id":"gpta_1","client_secret":"s"})",
      std::nullopt);
  REQUIRE(json);
  CHECK(json->token == "abc");
}

TEST_CASE("auth token management request: what is refused", "[auth][oauth]") {
  const auto no_token =
      parse_token_management_request(form, "client_id=a&client_secret=b", std::nullopt);
  REQUIRE_FALSE(no_token);
  CHECK(no_token.error().code == oauth_error_code::invalid_request);

  const auto no_client = parse_token_management_request(form, "token=abc", std::nullopt);
  REQUIRE_FALSE(no_client);
  CHECK(no_client.error().code == oauth_error_code::invalid_client);

  const auto both =
      parse_token_management_request(form, "token=abc&client_secret=x", basic("a", "b"));
  REQUIRE_FALSE(both);
  CHECK(both.error().code == oauth_error_code::invalid_request);

  const auto bearer = parse_token_management_request(form, "token=abc", "Bearer xyz");
  REQUIRE_FALSE(bearer);
  CHECK(bearer.error().code == oauth_error_code::invalid_client);

  const auto twice =
      parse_token_management_request(form, "token=a&token=b&client_id=c", std::nullopt);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == oauth_error_code::invalid_request);

  const auto control =
      parse_token_management_request(form, "token=a%0Ab&client_id=c", std::nullopt);
  REQUIRE_FALSE(control);
}

TEST_CASE("auth form parameters: decoding, duplicates and bad escapes", "[auth][oauth]") {
  const auto parsed = parse_form_parameters("a=1&b=x+y%21&c=&&d");
  REQUIRE(parsed);
  CHECK(parsed->at("a") == "1");
  CHECK(parsed->at("b") == "x y!");
  CHECK(parsed->at("c").empty());
  CHECK(parsed->at("d").empty());
  CHECK(parse_form_parameters("").value().empty());
  CHECK_FALSE(parse_form_parameters("a=1&a=2"));
  CHECK_FALSE(parse_form_parameters("a=%zz"));
}
