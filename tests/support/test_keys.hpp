#pragma once

#include <string>

// Key material generated at test time, so that no private key is ever committed.
namespace gpt_adapter::testing {

// A fresh RSA private key as unencrypted PKCS#8 PEM.
std::string generate_rsa_private_key_pem(int bits = 2048);

// A fresh EC private key on `curve` (an OpenSSL group name such as "P-256") as PKCS#8 PEM.
std::string generate_ec_private_key_pem(const char* curve = "P-256");

}  // namespace gpt_adapter::testing
