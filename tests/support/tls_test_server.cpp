#include "tests/support/tls_test_server.hpp"

#include <fstream>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include "tests/support/process.hpp"

namespace gpt_adapter::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

void run_openssl(const std::filesystem::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  args.insert(args.begin(), "/usr/bin/env");
  child_process tool(process_options{.argv = args, .output_file = dir / "openssl.log"});
  const auto status = tool.wait_exit(60s);
  if (status != 0) {
    throw std::runtime_error("openssl " + args[2] + " failed: " + tool.output());
  }
}

}  // namespace

test_certificates make_test_certificates(const std::filesystem::path& dir,
                                         const std::vector<std::string>& dns_names,
                                         const std::vector<std::string>& ip_addresses) {
  const auto path = [&](const char* name) { return (dir / name).string(); };
  std::string names;
  for (const auto& name : dns_names) {
    names += (names.empty() ? "" : ",") + std::string("DNS:") + name;
  }
  for (const auto& address : ip_addresses) {
    names += (names.empty() ? "" : ",") + std::string("IP:") + address;
  }
  {
    std::ofstream extensions(dir / "server.ext");
    extensions << "subjectAltName=" << names << "\n"
               << "basicConstraints=CA:FALSE\n"
               << "extendedKeyUsage=serverAuth\n";
  }
  run_openssl(
      dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj",
            "/CN=gpt-adapter test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign"});
  run_openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", path("server.key"), "-out", path("server.csr"), "-subj",
                    "/CN=gpt-adapter test server"});
  run_openssl(dir, {"x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey",
                    path("ca.key"), "-CAcreateserial", "-out", path("server.pem"), "-days", "2",
                    "-extfile", path("server.ext")});
  {
    std::ofstream extensions(dir / "client.ext");
    extensions << "basicConstraints=CA:FALSE\n"
               << "extendedKeyUsage=clientAuth\n";
  }
  run_openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", path("client.key"), "-out", path("client.csr"), "-subj",
                    "/CN=gpt-adapter test client"});
  run_openssl(dir, {"x509", "-req", "-in", path("client.csr"), "-CA", path("ca.pem"), "-CAkey",
                    path("ca.key"), "-CAcreateserial", "-out", path("client.pem"), "-days", "2",
                    "-extfile", path("client.ext")});
  return {dir / "ca.pem", dir / "server.pem", dir / "server.key", dir / "client.pem",
          dir / "client.key"};
}

void tls_test_server::set_body(std::string body) {
  std::lock_guard lock(mutex_);
  body_ = std::move(body);
}

std::string tls_test_server::body() const {
  std::lock_guard lock(mutex_);
  return body_;
}

tls_test_server::tls_test_server(const test_certificates& certificates, std::string body)
    : tls_(net::ssl::context::tls_server),
      acceptor_(context_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
      body_(std::move(body)) {
  tls_.use_certificate_chain_file(certificates.server_certificate.string());
  tls_.use_private_key_file(certificates.server_key.string(), net::ssl::context::pem);
  port_ = acceptor_.local_endpoint().port();

  auto session = [this](tcp::socket socket) -> net::awaitable<void> {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
    stream.next_layer().expires_after(10s);
    auto [handshake_error] =
        co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
    if (handshake_error) {
      ++failed_handshakes_;
      co_return;
    }
    ++handshakes_;
    if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lock(mutex_);
      last_server_name_ = name;
    }
    beast::flat_buffer buffer;
    while (true) {
      bhttp::request<bhttp::string_body> request;
      stream.next_layer().expires_after(10s);
      auto [read_error, read] = co_await bhttp::async_read(stream, buffer, request, use_tuple);
      if (read_error) {
        co_return;
      }
      ++requests_;
      bhttp::response<bhttp::string_body> answer{bhttp::status::ok, request.version()};
      answer.set(bhttp::field::content_type, "application/json");
      answer.body() = this->body();
      answer.keep_alive(request.keep_alive());
      answer.prepare_payload();
      auto [write_error, written] = co_await bhttp::async_write(stream, answer, use_tuple);
      if (write_error || !request.keep_alive()) {
        co_return;
      }
    }
  };
  net::co_spawn(
      context_,
      [this, session]() -> net::awaitable<void> {
        while (true) {
          auto [error, socket] = co_await acceptor_.async_accept(use_tuple);
          if (error) {
            co_return;
          }
          net::co_spawn(context_, session(std::move(socket)), net::detached);
        }
      },
      net::detached);
  thread_ = std::thread([this] {
    auto work = net::make_work_guard(context_);
    context_.run();
  });
}

std::string tls_test_server::last_server_name() const {
  std::lock_guard lock(mutex_);
  return last_server_name_;
}

tls_test_server::~tls_test_server() {
  context_.stop();
  thread_.join();
}

}  // namespace gpt_adapter::testing
