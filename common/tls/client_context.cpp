#include "common/tls/client_context.hpp"

#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace gpt_adapter::tls {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_context(const client_files& files) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code error;
  if (files.ca_file) {
    context->load_verify_file(*files.ca_file, error);
  } else {
    context->set_default_verify_paths(error);
  }
  if (error) {
    throw std::runtime_error("cannot load the trusted CA certificates" +
                             (files.ca_file ? " from " + *files.ca_file : std::string()) + ": " +
                             error.message());
  }
  if (files.certificate_file.has_value() != files.key_file.has_value()) {
    throw std::runtime_error("a client certificate needs both its certificate and its key file");
  }
  if (files.certificate_file) {
    context->use_certificate_chain_file(*files.certificate_file, error);
    if (error) {
      throw std::runtime_error("cannot load the client certificate from " +
                               *files.certificate_file + ": " + error.message());
    }
    context->use_private_key_file(*files.key_file, ssl::context::pem, error);
    if (error) {
      throw std::runtime_error("cannot load the client key from " + *files.key_file + ": " +
                               error.message());
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      throw std::runtime_error("the client key " + *files.key_file +
                               " does not match its certificate " + *files.certificate_file);
    }
  }
  return context;
}

bool expect_server_name(ssl_st* connection, const std::string& server_name) {
  boost::system::error_code not_an_address;
  boost::asio::ip::make_address(server_name, not_an_address);
  if (not_an_address && SSL_set_tlsext_host_name(connection, server_name.c_str()) != 1) {
    return false;
  }
  // OpenSSL checks the name as part of verifying the chain (the context verifies the peer).
  auto* parameters = SSL_get0_param(connection);
  X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!not_an_address) {
    return X509_VERIFY_PARAM_set1_ip_asc(parameters, server_name.c_str()) == 1;
  }
  return X509_VERIFY_PARAM_set1_host(parameters, server_name.c_str(), server_name.size()) == 1;
}

std::string handshake_failure_reason(ssl_st* connection, const boost::system::error_code& error) {
  std::string reason = error.message();
  const long verify = SSL_get_verify_result(connection);
  if (verify != X509_V_OK) {
    reason += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
  }
  return reason;
}

}  // namespace gpt_adapter::tls
