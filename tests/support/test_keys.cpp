#include "tests/support/test_keys.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace gpt_adapter::testing {
namespace {

using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string private_pem(EVP_PKEY* key) {
  if (key == nullptr) {
    throw std::runtime_error("OpenSSL could not generate a key");
  }
  key_ptr owned(key, EVP_PKEY_free);
  bio_ptr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), owned.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not write a private key");
  }
  return bio_text(bio.get());
}

}  // namespace

std::string generate_rsa_private_key_pem(int bits) {
  return private_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
}

std::string generate_ec_private_key_pem(const char* curve) {
  return private_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

}  // namespace gpt_adapter::testing
