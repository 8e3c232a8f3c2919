#pragma once

#include <memory>
#include <mutex>

#include <boost/asio/ssl/context.hpp>

#include "common/config/settings.hpp"

namespace gpt_adapter::http {

// The server's TLS configuration: certificate chain and key from PEM files, TLS 1.2 and 1.3
// only, forward-secret AEAD cipher suites for 1.2 (Mozilla's "intermediate" profile), no
// compression, no renegotiation, server cipher preference.
//
// reload() reads the files again (after a certificate renewal, on SIGHUP) and swaps in a new
// context: new connections get it, open connections keep the one they started with, so none is
// dropped. A reload that fails keeps the current credentials.
class tls_credentials {
 public:
  // Loads the files; throws config::config_error naming TLS_CERT_FILE or TLS_KEY_FILE when a
  // file cannot be read or the key does not match the certificate.
  explicit tls_credentials(config::tls_settings settings);

  // The context for a new connection.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  // Throws config::config_error as the constructor does, leaving the current context in place.
  void reload();

 private:
  static std::shared_ptr<boost::asio::ssl::context> load(const config::tls_settings& settings);

  config::tls_settings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace gpt_adapter::http
