#include "common/auth/base64.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace gpt_adapter::auth;

TEST_CASE("auth base64: encode_base64 matches the RFC 4648 test vectors without padding",
          "[base64]") {
  CHECK(encode_base64("", base64_alphabet::standard).empty());
  CHECK(encode_base64("f", base64_alphabet::standard) == "Zg");
  CHECK(encode_base64("fo", base64_alphabet::standard) == "Zm8");
  CHECK(encode_base64("foo", base64_alphabet::standard) == "Zm9v");
  CHECK(encode_base64("foob", base64_alphabet::standard) == "Zm9vYg");
  CHECK(encode_base64("fooba", base64_alphabet::standard) == "Zm9vYmE");
  CHECK(encode_base64("foobar", base64_alphabet::standard) == "Zm9vYmFy");
}

TEST_CASE("auth base64: the two alphabets differ only in the characters for 62 and 63",
          "[base64]") {
  const std::string bytes{'\xfb', '\xff', '\xbf'};
  CHECK(encode_base64(bytes, base64_alphabet::standard) == "+/+/");
  CHECK(encode_base64url(bytes) == "-_-_");
  CHECK(decode_base64url("-_-_") == bytes);
  CHECK_FALSE(decode_base64url("+/+/"));
  CHECK_FALSE(decode_base64("-_-_", base64_alphabet::standard));
}

TEST_CASE("auth base64: decode_base64 round-trips every byte value", "[base64]") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes += static_cast<char>(i);
  }
  for (std::size_t length = 0; length <= bytes.size(); length += 37) {
    const auto prefix = bytes.substr(0, length);
    CHECK(decode_base64(encode_base64(prefix, base64_alphabet::standard),
                        base64_alphabet::standard) == prefix);
    CHECK(decode_base64url(encode_base64url(prefix)) == prefix);
  }
}

TEST_CASE("auth base64: decode_base64 refuses non-canonical text, stray characters and bad lengths",
          "[base64]") {
  CHECK(decode_base64url("Zg") == "f");
  CHECK_FALSE(decode_base64url("Zh"));  // unused bits set: a second spelling of "f"
  CHECK_FALSE(decode_base64url("Z"));   // a length of 4n+1 encodes no byte sequence
  CHECK_FALSE(decode_base64url("Zm9v\n"));
  CHECK_FALSE(decode_base64url(" Zm9v"));
  CHECK_FALSE(decode_base64url("Zm9v.Zg"));
  CHECK_FALSE(decode_base64url(std::string("Zm\0v", 4)));
}

TEST_CASE("auth base64: padding is refused by default and optional only when asked for",
          "[base64]") {
  CHECK_FALSE(decode_base64url("Zg=="));
  CHECK_FALSE(decode_base64("Zm8=", base64_alphabet::standard));
  CHECK(decode_base64("Zg==", base64_alphabet::standard, base64_padding::optional) == "f");
  CHECK(decode_base64("Zm8=", base64_alphabet::standard, base64_padding::optional) == "fo");
  CHECK(decode_base64("Zm8", base64_alphabet::standard, base64_padding::optional) == "fo");
  CHECK_FALSE(decode_base64("Zg=", base64_alphabet::standard, base64_padding::optional));
  CHECK_FALSE(decode_base64("Z===", base64_alphabet::standard, base64_padding::optional));
  CHECK_FALSE(decode_base64("Zg==Zg==", base64_alphabet::standard, base64_padding::optional));
  CHECK_FALSE(decode_base64("====", base64_alphabet::standard, base64_padding::optional));
}
