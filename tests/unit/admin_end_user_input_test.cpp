#include <catch2/catch.hpp>

#include "tools/admin/application_input.hpp"
#include "tools/admin/end_user_input.hpp"

using namespace gpt_adapter::admin;

TEST_CASE("admin end user input: usernames", "[admin]") {
  CHECK(parse_username("alice") == "alice");
  CHECK(parse_username("a.b-c_d+e@example.com") == "a.b-c_d+e@example.com");
  CHECK_THROWS_AS(parse_username(""), invalid_input);
  CHECK_THROWS_AS(parse_username("with space"), invalid_input);
  CHECK_THROWS_AS(parse_username("<script>"), invalid_input);
  CHECK_THROWS_AS(parse_username(std::string(129, 'a')), invalid_input);
  CHECK(parse_username(std::string(128, 'a')).size() == 128);
}

TEST_CASE("admin end user input: passwords read from standard input", "[admin]") {
  CHECK(parse_password("correct horse battery\n") == "correct horse battery");
  CHECK(parse_password("correct horse battery\r\nsecond line") == "correct horse battery");
  CHECK(parse_password("exactly12chr") == "exactly12chr");
  CHECK_THROWS_AS(parse_password("short\n"), invalid_input);
  CHECK_THROWS_AS(parse_password(""), invalid_input);
  CHECK_THROWS_AS(parse_password(std::string(1025, 'p')), invalid_input);
  CHECK_THROWS_AS(parse_password("tab\tinside the password"), invalid_input);
}
