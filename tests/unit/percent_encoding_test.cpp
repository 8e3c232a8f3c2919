#include "common/text/percent_encoding.hpp"

#include <catch2/catch.hpp>

using namespace gpt_adapter::text;

TEST_CASE("percent-encoding keeps only unreserved characters", "[text]") {
  CHECK(percent_encode("abcXYZ019-._~") == "abcXYZ019-._~");
  CHECK(percent_encode("a b&c=d/e?f#g%") == "a%20b%26c%3Dd%2Fe%3Ff%23g%25");
  CHECK(percent_encode("caf\xC3\xA9") == "caf%C3%A9");
  CHECK(percent_encode("") == "");
}

TEST_CASE("percent-decoding reverses encoding and refuses broken escapes", "[text]") {
  CHECK(percent_decode("a%20b%2Fc") == "a b/c");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("a+b", plus_sign::space) == "a b");
  CHECK(percent_decode(percent_encode("p@ss:w/rd \xE2\x82\xAC")) == "p@ss:w/rd \xE2\x82\xAC");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%2"));
  CHECK_FALSE(percent_decode("%zz"));
}
