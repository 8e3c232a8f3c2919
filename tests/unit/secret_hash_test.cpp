#include "common/auth/secret_hash.hpp"

#include <set>
#include <string>

#include <catch2/catch.hpp>

using namespace gpt_adapter::auth;

namespace {

// The floor keeps most tests fast; one test below uses the production default.
constexpr unsigned fast_iterations = min_iterations;

std::string replace_field(const std::string& encoded, int field, const std::string& value) {
  std::string result;
  int index = 0;
  std::size_t start = 0;
  while (true) {
    const auto end = encoded.find('$', start);
    result += index == field ? value : encoded.substr(start, end - start);
    if (end == std::string::npos) {
      return result;
    }
    result += '$';
    start = end + 1;
    ++index;
  }
}

}  // namespace

TEST_CASE("secret_hash: hash_secret round trip verifies the same secret only", "[secret_hash]") {
  const auto encoded = hash_secret("correct horse battery staple", fast_iterations);
  CHECK(verify_secret("correct horse battery staple", encoded));
  CHECK_FALSE(verify_secret("correct horse battery stapl", encoded));
  CHECK_FALSE(verify_secret("Correct horse battery staple", encoded));
  CHECK_FALSE(verify_secret("", encoded));
}

TEST_CASE("secret_hash: hash_secret encodes scheme, iterations, 16-byte salt and 32-byte hash",
          "[secret_hash]") {
  const auto encoded = hash_secret("secret", 12345);
  REQUIRE(encoded.starts_with("pbkdf2-sha256$12345$"));
  const auto salt_start = encoded.find('$', 14) + 1;
  const auto hash_start = encoded.find('$', salt_start) + 1;
  CHECK(hash_start - salt_start - 1 == 22);  // 16 bytes in unpadded base64
  CHECK(encoded.size() - hash_start == 43);  // 32 bytes in unpadded base64
  CHECK(encoded.find('=') == std::string::npos);
}

TEST_CASE("secret_hash: hash_secret salts every hash differently", "[secret_hash]") {
  const auto first = hash_secret("same secret", fast_iterations);
  const auto second = hash_secret("same secret", fast_iterations);
  CHECK(first != second);
  CHECK(verify_secret("same secret", first));
  CHECK(verify_secret("same secret", second));
}

TEST_CASE("secret_hash: hash_secret with the default iterations verifies and needs no rehash",
          "[secret_hash]") {
  const auto encoded = hash_secret("production secret");
  CHECK(encoded.starts_with("pbkdf2-sha256$600000$"));
  CHECK(verify_secret("production secret", encoded));
  CHECK_FALSE(verify_secret("production secret!", encoded));
  CHECK_FALSE(needs_rehash(encoded));
}

TEST_CASE("secret_hash: hash_secret rejects iteration counts outside the accepted range",
          "[secret_hash]") {
  CHECK_THROWS_AS(hash_secret("secret", min_iterations - 1), std::invalid_argument);
  CHECK_THROWS_AS(hash_secret("secret", max_iterations + 1), std::invalid_argument);
}

TEST_CASE("secret_hash: needs_rehash is true below the default iterations and for malformed input",
          "[secret_hash]") {
  CHECK(needs_rehash(hash_secret("secret", fast_iterations)));
  CHECK(needs_rehash("not a hash"));
}

TEST_CASE("secret_hash: verify_secret is false for malformed encodings", "[secret_hash]") {
  const auto valid = hash_secret("secret", fast_iterations);
  REQUIRE(verify_secret("secret", valid));

  CHECK_FALSE(verify_secret("secret", ""));
  CHECK_FALSE(verify_secret("secret", "secret"));
  CHECK_FALSE(verify_secret("secret", "$$$"));
  CHECK_FALSE(verify_secret("secret", valid + "$extra"));
  CHECK_FALSE(verify_secret("secret", valid.substr(0, valid.rfind('$'))));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 0, "pbkdf2-sha1")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "abc")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "-10000")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "+10000")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "010000")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "9999")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "10000001")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "99999999999999999999")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 2, "")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 2, "c2FsdA")));  // 4-byte salt
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 2, "not*base64")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 3, "")));
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 3, "aGFzaA")));  // 4-byte hash
  CHECK_FALSE(verify_secret("secret", replace_field(valid, 3, std::string(43, '!'))));
}

TEST_CASE(
    "secret_hash: verify_secret is false when the stored hash, salt or iterations were tampered "
    "with",
    "[secret_hash]") {
  const auto valid = hash_secret("secret", fast_iterations);
  REQUIRE(verify_secret("secret", valid));

  auto flipped_hash = valid;
  flipped_hash[flipped_hash.size() - 5] = flipped_hash[flipped_hash.size() - 5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_secret("secret", flipped_hash));

  auto flipped_salt = valid;
  const auto salt_start = valid.find('$', 14) + 1;
  flipped_salt[salt_start] = flipped_salt[salt_start] == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_secret("secret", flipped_salt));

  CHECK_FALSE(verify_secret("secret", replace_field(valid, 1, "10001")));
}

TEST_CASE("secret_hash: random_token is URL-safe base64 of the requested length and unique",
          "[secret_hash]") {
  CHECK(random_token(0).empty());
  CHECK(random_token(1).size() == 2);
  CHECK(random_token(2).size() == 3);
  CHECK(random_token(3).size() == 4);
  CHECK(random_token(32).size() == 43);

  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto token = random_token(32);
    CHECK(token.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(token);
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("secret_hash: sha256_hex matches the known digests", "[secret_hash]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
