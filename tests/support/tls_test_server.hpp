#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace gpt_adapter::testing {

// A throwaway CA, a server certificate and a client certificate it signed, written as PEM files
// by the `openssl` command-line tool (EC P-256 keys, valid for two days).
struct test_certificates {
  std::filesystem::path ca_certificate;
  std::filesystem::path server_certificate;  // the leaf, then nothing else
  std::filesystem::path server_key;
  std::filesystem::path client_certificate;  // extendedKeyUsage clientAuth
  std::filesystem::path client_key;
};

// `dns_names` and `ip_addresses` become the certificate's subjectAltName entries.
test_certificates make_test_certificates(const std::filesystem::path& dir,
                                         const std::vector<std::string>& dns_names,
                                         const std::vector<std::string>& ip_addresses = {});

// An HTTPS server on 127.0.0.1 (own thread) that answers every request with 200 and `body`
// (JSON), keeping connections alive. Counts completed handshakes and requests.
class tls_test_server {
 public:
  tls_test_server(const test_certificates& certificates, std::string body);
  ~tls_test_server();
  tls_test_server(const tls_test_server&) = delete;
  tls_test_server& operator=(const tls_test_server&) = delete;

  unsigned short port() const { return port_; }
  // What later requests are answered with (a document that names the server's own URL).
  void set_body(std::string body);
  int handshakes() const { return handshakes_.load(); }
  int failed_handshakes() const { return failed_handshakes_.load(); }
  int requests() const { return requests_.load(); }
  // The SNI host name of the last completed handshake (empty when the client sent none).
  std::string last_server_name() const;

 private:
  boost::asio::io_context context_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string body() const;

  std::string body_;  // guarded by mutex_
  unsigned short port_ = 0;
  std::atomic<int> handshakes_{0};
  std::atomic<int> failed_handshakes_{0};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::string last_server_name_;
  std::thread thread_;
};

}  // namespace gpt_adapter::testing
