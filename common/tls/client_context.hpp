#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

struct ssl_st;

namespace gpt_adapter::tls {

// What a client trusts and, for mutual TLS, who it is. PEM files.
struct client_files {
  std::optional<std::string> ca_file;           // empty: the system's trust store
  std::optional<std::string> certificate_file;  // with key_file: a client certificate
  std::optional<std::string> key_file;
};

// The one way the project's clients speak TLS: 1.2 or later, the peer's certificate verified
// against `files.ca_file` or the system store. Throws std::runtime_error naming the file that
// cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_client_context(const client_files& files);

// Sends `server_name` as SNI (host names only: RFC 6066 §3 has no IP addresses) and requires the
// certificate to name it (a host name, or an IP address in its subjectAltName). False when
// OpenSSL refuses the name.
bool expect_server_name(ssl_st* connection, const std::string& server_name);

// The handshake error, with OpenSSL's reason for refusing the certificate when that was the
// cause: "certificate verify failed (certificate has expired)".
std::string handshake_failure_reason(ssl_st* connection, const boost::system::error_code& error);

}  // namespace gpt_adapter::tls
