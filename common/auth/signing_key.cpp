#include "common/auth/signing_key.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "common/auth/base64.hpp"

namespace gpt_adapter::auth {
namespace {

constexpr std::size_t min_hmac_secret_bytes = 32;
constexpr int min_rsa_bits = 2048;
constexpr std::size_t max_kid_length = 128;
// P-256: each of r, s, x and y is 32 bytes.
constexpr int p256_coordinate_bytes = 32;

struct bio_deleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct md_context_deleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct bignum_deleter {
  void operator()(BIGNUM* number) const { BN_free(number); }
};
struct ecdsa_signature_deleter {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
using md_context_ptr = std::unique_ptr<EVP_MD_CTX, md_context_deleter>;
using bignum_ptr = std::unique_ptr<BIGNUM, bignum_deleter>;
using ecdsa_signature_ptr = std::unique_ptr<ECDSA_SIG, ecdsa_signature_deleter>;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// A key file read at startup must never wait for a passphrase on a terminal.
int refuse_passphrase(char*, int, int, void*) {
  return -1;
}

void validate_kid(std::string_view kid) {
  if (kid.empty() || kid.size() > max_kid_length ||
      std::any_of(kid.begin(), kid.end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
    throw std::invalid_argument("a key id must be 1 to 128 printable ASCII characters");
  }
}

std::shared_ptr<EVP_PKEY> read_pem(std::string_view pem, bool private_key) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    throw std::runtime_error("OpenSSL could not allocate a memory BIO");
  }
  EVP_PKEY* key = private_key
                      ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr)
                      : PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr);
  ERR_clear_error();
  if (key == nullptr) {
    throw std::invalid_argument(private_key ? "not an unencrypted PEM private key"
                                            : "not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  }
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

void check_key_fits(EVP_PKEY* key, signing_algorithm algorithm) {
  if (algorithm == signing_algorithm::rs256) {
    if (!EVP_PKEY_is_a(key, "RSA")) {
      throw std::invalid_argument("RS256 needs an RSA key");
    }
    if (EVP_PKEY_get_bits(key) < min_rsa_bits) {
      throw std::invalid_argument("RS256 needs an RSA key of at least 2048 bits");
    }
    return;
  }
  std::array<char, 64> group{};
  std::size_t group_length = 0;
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_group_name(key, group.data(), group.size(), &group_length) != 1 ||
      std::string_view(group.data(), group_length) != "prime256v1") {
    ERR_clear_error();
    throw std::invalid_argument("ES256 needs an EC key on the P-256 curve");
  }
}

void require_asymmetric(signing_algorithm algorithm) {
  if (algorithm == signing_algorithm::hs256) {
    throw std::invalid_argument("HS256 takes a secret, not a PEM key");
  }
}

std::string big_endian(const BIGNUM* number, int width) {
  std::string bytes(static_cast<std::size_t>(width), '\0');
  if (BN_bn2binpad(number, reinterpret_cast<unsigned char*>(bytes.data()), width) != width) {
    throw std::runtime_error("OpenSSL could not encode a big number");
  }
  return bytes;
}

bignum_ptr key_parameter(EVP_PKEY* key, const char* name) {
  BIGNUM* number = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &number) != 1) {
    ERR_clear_error();
    throw std::runtime_error(std::string("OpenSSL could not read the key parameter ") + name);
  }
  return bignum_ptr(number);
}

std::string base64url_parameter(EVP_PKEY* key, const char* name, int width = 0) {
  const auto number = key_parameter(key, name);
  return encode_base64url(big_endian(number.get(), width > 0 ? width : BN_num_bytes(number.get())));
}

std::string hmac_sha256(std::string_view secret, std::string_view input) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> tag{};
  unsigned size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), bytes_of(input),
           input.size(), tag.data(), &size) == nullptr) {
    ERR_clear_error();
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(tag.data()), size);
}

std::string digest_sign(EVP_PKEY* key, std::string_view input) {
  md_context_ptr context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, bytes_of(input), input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL could not start a signature");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     bytes_of(input), input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL could not sign");
  }
  signature.resize(size);
  return signature;
}

bool digest_verify(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  md_context_ptr context(EVP_MD_CTX_new());
  const bool valid =
      context && EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(), bytes_of(input),
                       input.size()) == 1;
  ERR_clear_error();
  return valid;
}

// OpenSSL produces and expects DER ECDSA-Sig-Value; JOSE uses the fixed-width r || s.
std::string der_to_jose(std::string_view der) {
  auto data = bytes_of(der);
  ecdsa_signature_ptr signature(d2i_ECDSA_SIG(nullptr, &data, static_cast<long>(der.size())));
  if (!signature) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL produced an unreadable ECDSA signature");
  }
  return big_endian(ECDSA_SIG_get0_r(signature.get()), p256_coordinate_bytes) +
         big_endian(ECDSA_SIG_get0_s(signature.get()), p256_coordinate_bytes);
}

std::optional<std::string> jose_to_der(std::string_view jose) {
  if (jose.size() != 2 * p256_coordinate_bytes) {
    return std::nullopt;
  }
  bignum_ptr r(BN_bin2bn(bytes_of(jose), p256_coordinate_bytes, nullptr));
  bignum_ptr s(BN_bin2bn(bytes_of(jose) + p256_coordinate_bytes, p256_coordinate_bytes, nullptr));
  ecdsa_signature_ptr signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // ECDSA_SIG_set0 took ownership of both numbers.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(signature.get(), &der);
  if (size <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string result(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return result;
}

}  // namespace

std::string_view signing_algorithm_name(signing_algorithm algorithm) {
  switch (algorithm) {
    case signing_algorithm::hs256:
      return "HS256";
    case signing_algorithm::rs256:
      return "RS256";
    case signing_algorithm::es256:
      return "ES256";
  }
  return "";
}

std::optional<signing_algorithm> parse_signing_algorithm(std::string_view name) {
  for (const auto algorithm :
       {signing_algorithm::hs256, signing_algorithm::rs256, signing_algorithm::es256}) {
    if (name == signing_algorithm_name(algorithm)) {
      return algorithm;
    }
  }
  return std::nullopt;
}

signing_key::signing_key(std::string kid, signing_algorithm algorithm, std::string secret,
                         std::shared_ptr<EVP_PKEY> key, bool can_sign)
    : kid_(std::move(kid)),
      algorithm_(algorithm),
      secret_(std::move(secret)),
      key_(std::move(key)),
      can_sign_(can_sign) {}

signing_key signing_key::hs256(std::string kid, std::string secret) {
  validate_kid(kid);
  if (secret.size() < min_hmac_secret_bytes) {
    throw std::invalid_argument("an HS256 secret must have at least 32 bytes");
  }
  return signing_key(std::move(kid), signing_algorithm::hs256, std::move(secret), nullptr, true);
}

signing_key signing_key::from_private_pem(std::string kid, signing_algorithm algorithm,
                                          std::string_view pem) {
  validate_kid(kid);
  require_asymmetric(algorithm);
  auto key = read_pem(pem, true);
  check_key_fits(key.get(), algorithm);
  return signing_key(std::move(kid), algorithm, {}, std::move(key), true);
}

signing_key signing_key::from_public_pem(std::string kid, signing_algorithm algorithm,
                                         std::string_view pem) {
  validate_kid(kid);
  require_asymmetric(algorithm);
  auto key = read_pem(pem, false);
  check_key_fits(key.get(), algorithm);
  return signing_key(std::move(kid), algorithm, {}, std::move(key), false);
}

std::string signing_key::sign(std::string_view signing_input) const {
  if (!can_sign_) {
    throw std::logic_error("key '" + kid_ + "' is verify-only");
  }
  switch (algorithm_) {
    case signing_algorithm::hs256:
      return hmac_sha256(secret_, signing_input);
    case signing_algorithm::rs256:
      return digest_sign(key_.get(), signing_input);
    case signing_algorithm::es256:
      return der_to_jose(digest_sign(key_.get(), signing_input));
  }
  throw std::logic_error("unknown signing algorithm");
}

bool signing_key::verify(std::string_view signing_input, std::string_view signature) const {
  try {
    switch (algorithm_) {
      case signing_algorithm::hs256: {
        const auto expected = hmac_sha256(secret_, signing_input);
        return signature.size() == expected.size() &&
               CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
      }
      case signing_algorithm::rs256:
        return signature.size() == static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())) &&
               digest_verify(key_.get(), signing_input, signature);
      case signing_algorithm::es256: {
        const auto der = jose_to_der(signature);
        return der && digest_verify(key_.get(), signing_input, *der);
      }
    }
  } catch (const std::exception&) {
    ERR_clear_error();
  }
  return false;
}

std::optional<boost::json::object> signing_key::public_jwk() const {
  if (algorithm_ == signing_algorithm::hs256) {
    return std::nullopt;
  }
  boost::json::object jwk;
  if (algorithm_ == signing_algorithm::rs256) {
    jwk["kty"] = "RSA";
  } else {
    jwk["kty"] = "EC";
  }
  jwk["kid"] = kid_;
  jwk["use"] = "sig";
  jwk["alg"] = signing_algorithm_name(algorithm_);
  if (algorithm_ == signing_algorithm::rs256) {
    jwk["n"] = base64url_parameter(key_.get(), OSSL_PKEY_PARAM_RSA_N);
    jwk["e"] = base64url_parameter(key_.get(), OSSL_PKEY_PARAM_RSA_E);
  } else {
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_parameter(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, p256_coordinate_bytes);
    jwk["y"] = base64url_parameter(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, p256_coordinate_bytes);
  }
  return jwk;
}

std::string signing_key::public_key_pem() const {
  if (algorithm_ == signing_algorithm::hs256) {
    throw std::logic_error("an HMAC key has no public key");
  }
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL could not write a public key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

key_set::key_set(std::vector<signing_key> keys, std::string_view active_kid)
    : keys_(std::move(keys)) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    for (std::size_t j = i + 1; j < keys_.size(); ++j) {
      if (keys_[i].kid() == keys_[j].kid()) {
        throw std::invalid_argument("two signing keys share the key id '" + keys_[i].kid() + "'");
      }
    }
  }
  const auto active = std::find_if(keys_.begin(), keys_.end(),
                                   [&](const signing_key& key) { return key.kid() == active_kid; });
  if (active == keys_.end()) {
    throw std::invalid_argument("the active key id '" + std::string(active_kid) +
                                "' names no key in the set");
  }
  if (!active->can_sign()) {
    throw std::invalid_argument("the active key '" + std::string(active_kid) +
                                "' is verify-only: it needs its private key");
  }
  active_index_ = static_cast<std::size_t>(active - keys_.begin());
}

const signing_key* key_set::find(std::string_view kid) const {
  const auto found = std::find_if(keys_.begin(), keys_.end(),
                                  [&](const signing_key& key) { return key.kid() == kid; });
  return found == keys_.end() ? nullptr : &*found;
}

std::string key_set::jwks_json() const {
  boost::json::array published;
  for (const auto& key : keys_) {
    if (auto jwk = key.public_jwk()) {
      published.emplace_back(std::move(*jwk));
    }
  }
  return boost::json::serialize(boost::json::object{{"keys", std::move(published)}});
}

}  // namespace gpt_adapter::auth
