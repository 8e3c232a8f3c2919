#include "common/auth/signing_key.hpp"

#include <stdexcept>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/auth/base64.hpp"
#include "tests/support/test_keys.hpp"

using namespace gpt_adapter::auth;
using gpt_adapter::testing::generate_ec_private_key_pem;
using gpt_adapter::testing::generate_rsa_private_key_pem;

namespace {

const std::string hmac_secret = "0123456789abcdef0123456789abcdef-secret";

const std::string& rsa_pem() {
  static const auto pem = generate_rsa_private_key_pem();
  return pem;
}

const std::string& ec_pem() {
  static const auto pem = generate_ec_private_key_pem();
  return pem;
}

std::string encrypted_pem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> input(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(input.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> output(BIO_new(BIO_s_mem()), BIO_free);
  const std::string passphrase = "passphrase";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(output.get(), key.get(), EVP_aes_256_cbc(),
                                        passphrase.data(), static_cast<int>(passphrase.size()),
                                        nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(output.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string_view member(const boost::json::object& object, std::string_view name) {
  return object.at(name).as_string();
}

boost::json::object parse_object(const std::string& text) {
  return boost::json::parse(text).as_object();
}

}  // namespace

TEST_CASE("auth signing_key: algorithm names round-trip and none is not an algorithm",
          "[signing_key]") {
  for (const auto algorithm :
       {signing_algorithm::hs256, signing_algorithm::rs256, signing_algorithm::es256}) {
    CHECK(parse_signing_algorithm(signing_algorithm_name(algorithm)) == algorithm);
  }
  CHECK_FALSE(parse_signing_algorithm("none"));
  CHECK_FALSE(parse_signing_algorithm("hs256"));
  CHECK_FALSE(parse_signing_algorithm("HS512"));
  CHECK_FALSE(parse_signing_algorithm(""));
}

TEST_CASE("auth signing_key: each algorithm signs and verifies, and refuses another input",
          "[signing_key]") {
  const auto key = GENERATE(as<int>{}, 0, 1, 2);
  const auto signer = key == 0 ? signing_key::hs256("hs", hmac_secret)
                      : key == 1
                          ? signing_key::from_private_pem("rs", signing_algorithm::rs256, rsa_pem())
                          : signing_key::from_private_pem("es", signing_algorithm::es256, ec_pem());
  INFO(signing_algorithm_name(signer.algorithm()));
  REQUIRE(signer.can_sign());
  const auto signature = signer.sign("header.payload");
  CHECK(signer.verify("header.payload", signature));
  CHECK_FALSE(signer.verify("header.payloae", signature));
  CHECK_FALSE(signer.verify("header.payload", ""));
  CHECK_FALSE(signer.verify("header.payload", signature.substr(1)));
  auto flipped = signature;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
  CHECK_FALSE(signer.verify("header.payload", flipped));
}

TEST_CASE("auth signing_key: signature sizes follow RFC 7518", "[signing_key]") {
  CHECK(signing_key::hs256("hs", hmac_secret).sign("x").size() == 32);
  CHECK(signing_key::from_private_pem("rs", signing_algorithm::rs256, rsa_pem()).sign("x").size() ==
        256);
  // ES256 is r || s, 32 bytes each, not OpenSSL's DER.
  CHECK(signing_key::from_private_pem("es", signing_algorithm::es256, ec_pem()).sign("x").size() ==
        64);
}

TEST_CASE("auth signing_key: an ES256 key refuses a DER-encoded signature", "[signing_key]") {
  const auto key = signing_key::from_private_pem("es", signing_algorithm::es256, ec_pem());
  const auto jose = key.sign("input");
  // The same r and s as DER: SEQUENCE of two INTEGERs (with a leading zero if the top bit is set).
  const auto integer = [](std::string value) {
    while (value.size() > 1 && value[0] == '\0' && (value[1] & 0x80) == 0) {
      value.erase(0, 1);
    }
    if (value[0] & 0x80) {
      value.insert(0, 1, '\0');
    }
    return std::string{'\x02', static_cast<char>(value.size())} + value;
  };
  const auto body = integer(jose.substr(0, 32)) + integer(jose.substr(32));
  const auto der = std::string{'\x30', static_cast<char>(body.size())} + body;
  CHECK(key.verify("input", jose));
  CHECK_FALSE(key.verify("input", der));
}

TEST_CASE(
    "auth signing_key: a verify-only key verifies its private counterpart's signatures but cannot "
    "sign",
    "[signing_key]") {
  const auto private_key = signing_key::from_private_pem("rs", signing_algorithm::rs256, rsa_pem());
  const auto public_key =
      signing_key::from_public_pem("rs", signing_algorithm::rs256, private_key.public_key_pem());
  CHECK_FALSE(public_key.can_sign());
  CHECK(public_key.verify("input", private_key.sign("input")));
  CHECK_THROWS_AS(public_key.sign("input"), std::logic_error);

  const auto ec_private = signing_key::from_private_pem("es", signing_algorithm::es256, ec_pem());
  const auto ec_public =
      signing_key::from_public_pem("es", signing_algorithm::es256, ec_private.public_key_pem());
  CHECK(ec_public.verify("input", ec_private.sign("input")));
}

TEST_CASE("auth signing_key: HMAC verification depends on the secret", "[signing_key]") {
  const auto key = signing_key::hs256("hs", hmac_secret);
  const auto other = signing_key::hs256("hs", hmac_secret + "!");
  CHECK_FALSE(other.verify("input", key.sign("input")));
}

TEST_CASE("auth signing_key: key material that does not fit its algorithm is refused",
          "[signing_key]") {
  CHECK_THROWS_AS(signing_key::hs256("hs", std::string(31, 'k')), std::invalid_argument);
  CHECK_NOTHROW(signing_key::hs256("hs", std::string(32, 'k')));
  CHECK_THROWS_AS(signing_key::from_private_pem("rs", signing_algorithm::rs256,
                                                generate_rsa_private_key_pem(1024)),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_private_pem("es", signing_algorithm::es256, rsa_pem()),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_private_pem("rs", signing_algorithm::rs256, ec_pem()),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_private_pem("es", signing_algorithm::es256,
                                                generate_ec_private_key_pem("P-384")),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_private_pem("hs", signing_algorithm::hs256, rsa_pem()),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_private_pem("rs", signing_algorithm::rs256, "not a key"),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_private_pem("rs", signing_algorithm::rs256, ""),
                  std::invalid_argument);
  const auto public_pem =
      signing_key::from_private_pem("rs", signing_algorithm::rs256, rsa_pem()).public_key_pem();
  CHECK_THROWS_AS(signing_key::from_private_pem("rs", signing_algorithm::rs256, public_pem),
                  std::invalid_argument);
  CHECK_THROWS_AS(signing_key::from_public_pem("es", signing_algorithm::es256, public_pem),
                  std::invalid_argument);
}

TEST_CASE("auth signing_key: an encrypted private key is refused without asking for a passphrase",
          "[signing_key]") {
  CHECK_THROWS_AS(
      signing_key::from_private_pem("rs", signing_algorithm::rs256, encrypted_pem(rsa_pem())),
      std::invalid_argument);
}

TEST_CASE("auth signing_key: a key id is 1 to 128 printable ASCII characters", "[signing_key]") {
  CHECK_THROWS_AS(signing_key::hs256("", hmac_secret), std::invalid_argument);
  CHECK_THROWS_AS(signing_key::hs256("a b", hmac_secret), std::invalid_argument);
  CHECK_THROWS_AS(signing_key::hs256(std::string(129, 'k'), hmac_secret), std::invalid_argument);
  CHECK_NOTHROW(signing_key::hs256(std::string(128, 'k'), hmac_secret));
}

TEST_CASE("auth signing_key: a key set needs unique kids and an active key that can sign",
          "[signing_key]") {
  const auto rs = signing_key::from_private_pem("rs", signing_algorithm::rs256, rsa_pem());
  const auto rs_public =
      signing_key::from_public_pem("rs-old", signing_algorithm::rs256, rs.public_key_pem());
  const auto hs = signing_key::hs256("hs", hmac_secret);

  const key_set keys({rs, rs_public, hs}, "hs");
  CHECK(keys.active().kid() == "hs");
  REQUIRE(keys.find("rs-old") != nullptr);
  CHECK(keys.find("rs-old")->algorithm() == signing_algorithm::rs256);
  CHECK(keys.find("missing") == nullptr);
  CHECK(keys.keys().size() == 3);

  CHECK_THROWS_AS(key_set({}, "hs"), std::invalid_argument);
  CHECK_THROWS_AS(key_set({hs, signing_key::hs256("hs", hmac_secret + "2")}, "hs"),
                  std::invalid_argument);
  CHECK_THROWS_AS(key_set({hs}, "rs"), std::invalid_argument);
  CHECK_THROWS_AS(key_set({hs, rs_public}, "rs-old"), std::invalid_argument);
}

TEST_CASE(
    "auth signing_key: the JWKS publishes the RSA and EC public keys and never an HMAC secret",
    "[signing_key]") {
  const auto rs = signing_key::from_private_pem("rs-2024", signing_algorithm::rs256, rsa_pem());
  const auto es = signing_key::from_private_pem("es-2024", signing_algorithm::es256, ec_pem());
  const auto hs = signing_key::hs256("hs-2024", hmac_secret);
  const key_set keys({hs, rs, es}, "hs-2024");

  const auto text = keys.jwks_json();
  CHECK(text.find(hmac_secret) == std::string::npos);
  CHECK(text.find(encode_base64url(hmac_secret)) == std::string::npos);
  CHECK(text.find("hs-2024") == std::string::npos);

  const auto jwks = parse_object(text);
  REQUIRE(jwks.size() == 1);
  const auto& published = jwks.at("keys").as_array();
  REQUIRE(published.size() == 2);

  const auto& rsa = published[0].as_object();
  CHECK(member(rsa, "kty") == "RSA");
  CHECK(member(rsa, "kid") == "rs-2024");
  CHECK(member(rsa, "use") == "sig");
  CHECK(member(rsa, "alg") == "RS256");
  CHECK(member(rsa, "e") == "AQAB");
  const auto modulus = decode_base64url(member(rsa, "n"));
  REQUIRE(modulus);
  CHECK(modulus->size() == 256);
  CHECK((static_cast<unsigned char>(modulus->front()) & 0x80) != 0);
  CHECK(rsa.size() == 6);  // kty, kid, use, alg, n, e: no d, p, q, dp, dq, qi

  const auto& ec = published[1].as_object();
  CHECK(member(ec, "kty") == "EC");
  CHECK(member(ec, "kid") == "es-2024");
  CHECK(member(ec, "use") == "sig");
  CHECK(member(ec, "alg") == "ES256");
  CHECK(member(ec, "crv") == "P-256");
  for (const auto* coordinate : {"x", "y"}) {
    const auto bytes = decode_base64url(member(ec, coordinate));
    REQUIRE(bytes);
    CHECK(bytes->size() == 32);
  }
  CHECK(ec.size() == 7);  // kty, kid, use, alg, crv, x, y: no d
}

TEST_CASE("auth signing_key: the published EC point is the key's public point", "[signing_key]") {
  const auto es = signing_key::from_private_pem("es", signing_algorithm::es256, ec_pem());
  const auto jwk = *es.public_jwk();
  // SubjectPublicKeyInfo of a P-256 key ends with the uncompressed point 04 || x || y.
  const auto pem = es.public_key_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> input(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(input.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  REQUIRE(key);
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key.get(), &der);
  REQUIRE(size > 65);
  const std::string spki(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  CHECK(spki.substr(spki.size() - 65) == std::string(1, '\x04') +
                                             *decode_base64url(member(jwk, "x")) +
                                             *decode_base64url(member(jwk, "y")));
  CHECK_FALSE(signing_key::hs256("hs", hmac_secret).public_jwk());
  CHECK_THROWS_AS(signing_key::hs256("hs", hmac_secret).public_key_pem(), std::logic_error);
}
