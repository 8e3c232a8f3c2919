#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include "common/config/env_reader.hpp"
#include "common/http/server.hpp"
#include "common/http/tls_credentials.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tls_test_server.hpp"

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace http = gpt_adapter::http;
namespace config = gpt_adapter::config;
using gpt_adapter::testing::io_threads;
using gpt_adapter::testing::make_test_certificates;
using gpt_adapter::testing::temp_dir;
using gpt_adapter::testing::test_certificates;
using namespace std::chrono_literals;

// An HTTPS server kit instance on a free loopback port, answering GET /hello.
struct tls_server_fixture {
  explicit tls_server_fixture(const test_certificates& files)
      : credentials(std::make_shared<http::tls_credentials>(
            config::tls_settings{.certificate_file = files.server_certificate.string(),
                                 .key_file = files.server_key.string()})),
        io(2) {
    auto routes = std::make_shared<http::router>();
    routes->add(http::verb::get, "/hello",
                [](http::request_context& request) -> net::awaitable<http::response> {
                  http::response answer{bhttp::status::ok, request.message.version()};
                  answer.body() = "hello over tls";
                  co_return answer;
                });
    config::http_listener_settings settings{.host = "127.0.0.1", .port = 0, .threads = 2};
    server = std::make_shared<http::server>(io.context(), settings, routes, metrics, credentials);
    server->start();
  }
  ~tls_server_fixture() {
    server->shutdown(2s, [] {});
  }

  gpt_adapter::metrics::registry metrics;
  std::shared_ptr<http::tls_credentials> credentials;
  io_threads io;
  std::shared_ptr<http::server> server;
};

// A blocking HTTPS client connection that trusts one CA and checks the host name.
class tls_client {
 public:
  tls_client(unsigned short port, const std::filesystem::path& ca,
             std::optional<int> max_version = std::nullopt)
      : tls_(ssl::context::tls_client) {
    tls_.load_verify_file(ca.string());
    tls_.set_verify_mode(ssl::verify_peer);
    if (max_version)
      SSL_CTX_set_max_proto_version(tls_.native_handle(), *max_version);
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(context_, tls_);
    SSL_set_tlsext_host_name(stream_->native_handle(), "localhost");
    SSL_set1_host(stream_->native_handle(), "localhost");
    beast::get_lowest_layer(*stream_).expires_after(10s);
    beast::get_lowest_layer(*stream_).connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  // Whether the handshake (with certificate verification) succeeded.
  bool handshake() {
    beast::error_code error;
    stream_->handshake(ssl::stream_base::client, error);
    return !error;
  }

  bhttp::response<bhttp::string_body> get(const std::string& target) {
    bhttp::request<bhttp::string_body> request{bhttp::verb::get, target, 11};
    request.set(bhttp::field::host, "localhost");
    request.keep_alive(true);
    beast::get_lowest_layer(*stream_).expires_after(10s);
    bhttp::write(*stream_, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> answer;
    bhttp::read(*stream_, buffer, answer);
    return answer;
  }

  // The serial number of the certificate the server presented, in hex.
  std::string peer_serial() {
    X509* certificate = SSL_get1_peer_certificate(stream_->native_handle());
    REQUIRE(certificate != nullptr);
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get_serialNumber(certificate), nullptr);
    char* hex = BN_bn2hex(number);
    std::string serial(hex);
    OPENSSL_free(hex);
    BN_free(number);
    X509_free(certificate);
    return serial;
  }

 private:
  net::io_context context_;
  ssl::context tls_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
};

}  // namespace

TEST_CASE("the server kit serves HTTPS to a client that verifies it", "[integration][tls]") {
  temp_dir dir;
  const auto files = make_test_certificates(dir.path(), {"localhost"}, {"127.0.0.1"});
  tls_server_fixture fixture(files);

  tls_client client(fixture.server->port(), files.ca_certificate);
  REQUIRE(client.handshake());
  const auto first = client.get("/hello");
  CHECK(first.result() == bhttp::status::ok);
  CHECK(first.body() == "hello over tls");
  CHECK(client.get("/hello").result() == bhttp::status::ok);  // kept alive
  CHECK(client.get("/missing").result() == bhttp::status::not_found);
}

TEST_CASE("the server kit refuses TLS 1.1 and plain HTTP on a TLS port", "[integration][tls]") {
  temp_dir dir;
  const auto files = make_test_certificates(dir.path(), {"localhost"}, {"127.0.0.1"});
  tls_server_fixture fixture(files);

  tls_client old_client(fixture.server->port(), files.ca_certificate, TLS1_1_VERSION);
  CHECK_FALSE(old_client.handshake());

  net::io_context context;
  beast::tcp_stream plain(context);
  plain.expires_after(10s);
  plain.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), fixture.server->port()));
  bhttp::request<bhttp::string_body> request{bhttp::verb::get, "/hello", 11};
  request.set(bhttp::field::host, "localhost");
  bhttp::write(plain, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> answer;
  beast::error_code error;
  bhttp::read(plain, buffer, answer, error);
  CHECK(error);  // the server answered with a TLS alert or closed: never an HTTP response
}

TEST_CASE("a certificate reload reaches new connections and drops no open one",
          "[integration][tls]") {
  temp_dir dir;
  temp_dir renewed_dir;
  const auto files = make_test_certificates(dir.path(), {"localhost"}, {"127.0.0.1"});
  tls_server_fixture fixture(files);

  tls_client open_connection(fixture.server->port(), files.ca_certificate);
  REQUIRE(open_connection.handshake());
  REQUIRE(open_connection.get("/hello").result() == bhttp::status::ok);
  const auto old_serial = open_connection.peer_serial();

  // A renewal from another CA lands on the same paths; the server only notices on reload.
  const auto renewed = make_test_certificates(renewed_dir.path(), {"localhost"}, {"127.0.0.1"});
  std::filesystem::copy_file(renewed.server_certificate, files.server_certificate,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.server_key, files.server_key,
                             std::filesystem::copy_options::overwrite_existing);
  {
    tls_client before_reload(fixture.server->port(), files.ca_certificate);
    CHECK(before_reload.handshake());
  }
  fixture.credentials->reload();

  tls_client trusting_old_ca(fixture.server->port(), files.ca_certificate);
  CHECK_FALSE(trusting_old_ca.handshake());
  tls_client trusting_new_ca(fixture.server->port(), renewed.ca_certificate);
  REQUIRE(trusting_new_ca.handshake());
  CHECK(trusting_new_ca.peer_serial() != old_serial);
  CHECK(trusting_new_ca.get("/hello").result() == bhttp::status::ok);

  CHECK(open_connection.get("/hello").result() == bhttp::status::ok);
  CHECK(open_connection.peer_serial() == old_serial);
}

TEST_CASE("unreadable or mismatched TLS files are refused naming the variable",
          "[integration][tls]") {
  temp_dir dir;
  temp_dir other_dir;
  const auto files = make_test_certificates(dir.path(), {"localhost"});
  const auto other = make_test_certificates(other_dir.path(), {"localhost"});
  const auto message_of = [](config::tls_settings settings) -> std::string {
    try {
      http::tls_credentials credentials(std::move(settings));
    } catch (const config::config_error& error) {
      return error.what();
    }
    return "accepted";
  };
  CHECK_THAT(message_of({(dir.path() / "missing.pem").string(), files.server_key.string()}),
             Catch::StartsWith("TLS_CERT_FILE="));
  CHECK_THAT(message_of({files.server_certificate.string(), (dir.path() / "missing.pem").string()}),
             Catch::StartsWith("TLS_KEY_FILE="));
  CHECK_THAT(message_of({files.server_certificate.string(), other.server_key.string()}),
             Catch::StartsWith("TLS_KEY_FILE=") && Catch::Contains("mismatch"));
  CHECK(message_of({files.server_certificate.string(), files.server_key.string()}) == "accepted");

  SECTION("a reload that fails keeps the current credentials") {
    http::tls_credentials credentials(
        {files.server_certificate.string(), files.server_key.string()});
    const auto before = credentials.current();
    std::filesystem::remove(files.server_key);
    CHECK_THROWS_AS(credentials.reload(), config::config_error);
    CHECK(credentials.current() == before);
  }
}
