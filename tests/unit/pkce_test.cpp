#include "common/auth/pkce.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace gpt_adapter::auth;

namespace {

// RFC 7636 Appendix B.
constexpr std::string_view rfc_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view rfc_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

}  // namespace

TEST_CASE("auth pkce: S256 reproduces the RFC 7636 Appendix B example", "[pkce]") {
  CHECK(s256_code_challenge(rfc_verifier) == rfc_challenge);
  CHECK(verify_code_verifier(rfc_verifier, rfc_challenge, pkce_method::s256));
}

TEST_CASE("auth pkce: S256 refuses another verifier, a plain comparison and a tampered challenge",
          "[pkce]") {
  std::string other(rfc_verifier);
  other.back() = 'j';
  CHECK_FALSE(verify_code_verifier(other, rfc_challenge, pkce_method::s256));
  // The challenge sent as if it were the verifier.
  CHECK_FALSE(verify_code_verifier(rfc_challenge, rfc_challenge, pkce_method::s256));
  std::string tampered(rfc_challenge);
  tampered[0] = 'F';
  CHECK_FALSE(verify_code_verifier(rfc_verifier, tampered, pkce_method::s256));
  CHECK_FALSE(verify_code_verifier(rfc_verifier, rfc_verifier, pkce_method::s256));
}

TEST_CASE("auth pkce: plain compares verifier and challenge exactly", "[pkce]") {
  CHECK(verify_code_verifier(rfc_verifier, rfc_verifier, pkce_method::plain));
  CHECK_FALSE(verify_code_verifier(rfc_verifier, rfc_challenge, pkce_method::plain));
  std::string longer(rfc_verifier);
  longer += 'x';
  CHECK_FALSE(verify_code_verifier(rfc_verifier, longer, pkce_method::plain));
}

TEST_CASE("auth pkce: a code verifier is 43 to 128 unreserved characters", "[pkce]") {
  CHECK(is_valid_code_verifier(std::string(43, 'a')));
  CHECK(is_valid_code_verifier(std::string(128, '~')));
  CHECK(is_valid_code_verifier("ABCXYZabcxyz0189-._~ABCXYZabcxyz0189-._~abc"));
  CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a')));
  CHECK_FALSE(is_valid_code_verifier(std::string(129, 'a')));
  CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a') + "+"));
  CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a') + "/"));
  CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a') + "="));
  CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a') + " "));
  CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a') + "\xc3"));
  CHECK_FALSE(is_valid_code_verifier(""));
}

TEST_CASE("auth pkce: a malformed verifier never verifies, even against its own challenge",
          "[pkce]") {
  const std::string short_verifier(42, 'a');
  CHECK_FALSE(
      verify_code_verifier(short_verifier, s256_code_challenge(short_verifier), pkce_method::s256));
  CHECK_FALSE(verify_code_verifier(short_verifier, short_verifier, pkce_method::plain));
}

TEST_CASE("auth pkce: an S256 challenge is the 43-character base64url of 32 bytes", "[pkce]") {
  CHECK(is_valid_code_challenge(rfc_challenge, pkce_method::s256));
  CHECK_FALSE(is_valid_code_challenge(std::string(rfc_challenge) + "=", pkce_method::s256));
  CHECK_FALSE(is_valid_code_challenge(rfc_challenge.substr(1), pkce_method::s256));
  CHECK_FALSE(is_valid_code_challenge(std::string(44, 'A'), pkce_method::s256));
  // Standard-alphabet characters are not base64url.
  std::string standard(rfc_challenge);
  standard[10] = '+';
  CHECK_FALSE(is_valid_code_challenge(standard, pkce_method::s256));
  // 43 characters carry 258 bits: the last two must be zero.
  std::string non_canonical(rfc_challenge);
  non_canonical.back() = 'N';
  CHECK_FALSE(is_valid_code_challenge(non_canonical, pkce_method::s256));
  CHECK(is_valid_code_challenge(rfc_verifier, pkce_method::plain));
  CHECK_FALSE(is_valid_code_challenge("short", pkce_method::plain));
}

TEST_CASE("auth pkce: method names are S256 and plain, case-sensitively", "[pkce]") {
  CHECK(parse_pkce_method("S256") == pkce_method::s256);
  CHECK(parse_pkce_method("plain") == pkce_method::plain);
  CHECK_FALSE(parse_pkce_method("s256"));
  CHECK_FALSE(parse_pkce_method("PLAIN"));
  CHECK_FALSE(parse_pkce_method(""));
  CHECK(pkce_method_name(pkce_method::s256) == "S256");
  CHECK(pkce_method_name(pkce_method::plain) == "plain");
}
