#include "common/http/tls_credentials.hpp"

#include <openssl/ssl.h>

namespace gpt_adapter::http {
namespace {

namespace ssl = boost::asio::ssl;

// Mozilla's "intermediate" TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.
// TLS 1.3 suites are all AEAD and stay at OpenSSL's defaults.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

tls_credentials::tls_credentials(config::tls_settings settings)
    : settings_(std::move(settings)), current_(load(settings_)) {}

std::shared_ptr<ssl::context> tls_credentials::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void tls_credentials::reload() {
  auto fresh = load(settings_);
  std::lock_guard lock(mutex_);
  current_ = std::move(fresh);
}

std::shared_ptr<ssl::context> tls_credentials::load(const config::tls_settings& settings) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  auto* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(native, tls12_ciphers);

  boost::system::error_code error;
  context->use_certificate_chain_file(settings.certificate_file, error);
  if (error) {
    throw config::config_error("TLS_CERT_FILE=\"" + settings.certificate_file +
                               "\" is not a readable PEM certificate chain: " + error.message());
  }
  context->use_private_key_file(settings.key_file, ssl::context::pem, error);
  if (error) {
    throw config::config_error(
        "TLS_KEY_FILE=\"" + settings.key_file +
        "\" is not a readable PEM private key matching TLS_CERT_FILE: " + error.message());
  }
  return context;
}

}  // namespace gpt_adapter::http
