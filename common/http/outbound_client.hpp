#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include "common/auth/value_or_error.hpp"

// The one outbound HTTP/1.1 client (Beast): to one origin, plain or TLS, with a bounded pool of
// kept-alive connections, connect and request timeouts, fully asynchronous.
namespace gpt_adapter::http {

// scheme://host[:port][/base/path] of an http or https URL.
struct origin_url {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  unsigned short port = 0;
  std::string base_path;  // without a trailing slash; empty for the root

  // "https://host:port": the key of pools and breakers.
  std::string origin() const;
};

// Parses an absolute http(s) URL; the error names what is wrong (never echoes credentials:
// URLs with user info are refused).
auth::value_or_error<origin_url, std::string> parse_origin_url(std::string_view url);

struct outbound_settings {
  std::chrono::milliseconds connect_timeout{2000};   // TCP connect plus TLS handshake
  std::chrono::milliseconds request_timeout{10000};  // waiting for a connection, write and read
  std::size_t max_connections = 16;                  // open at once to the origin
  std::chrono::milliseconds idle_timeout{
      30000};  // a kept-alive connection unused this long is closed
  std::size_t response_body_limit = std::size_t{8} * 1024 * 1024;
  // PEM bundle of trusted CAs instead of the system store (a private CA).
  std::optional<std::string> ca_file;
  // Refuse to connect unless every address the host resolves to is public (is_public_address):
  // for URLs that a client, not the operator, chose.
  bool public_addresses_only = false;
};

struct outbound_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  // path and query, appended to the origin's base path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // set with a body
  // Instead of the client's request_timeout, for a call known to take longer.
  std::optional<std::chrono::milliseconds> timeout;
};

struct outbound_response {
  int status = 0;
  boost::beast::http::fields headers;
  std::string body;
};

// Why no response came back.
enum class transport_failure {
  connect,   // resolve, connect or TLS handshake failed (certificate or host name included)
  timeout,   // no connection, or no complete answer, within the timeouts
  io,        // the connection broke while writing or reading
  protocol,  // the answer was not valid HTTP/1.1 or exceeded the limits
  stopped,   // the client was stopped
};

std::string_view to_string(transport_failure failure);

struct transport_error {
  transport_failure kind;
  std::string message;  // what failed, for logs; never contains headers or bodies
};

using outbound_result = auth::value_or_error<outbound_response, transport_error>;

class outbound_client : public std::enable_shared_from_this<outbound_client> {
 public:
  // Throws std::runtime_error when TLS is wanted and the CA file cannot be loaded.
  static std::shared_ptr<outbound_client> create(boost::asio::any_io_executor executor,
                                                 origin_url target, outbound_settings settings);
  ~outbound_client();

  // Sends one request and reads the answer. A connection is reused when one is idle; a reused
  // connection the server had already closed is replaced once, transparently.
  boost::asio::awaitable<outbound_result> send(outbound_request request);

  // Closes idle connections and refuses new requests; requests in flight finish.
  void stop();

  const origin_url& target() const { return target_; }
  std::size_t open_connections() const;
  std::size_t idle_connections() const;

 private:
  struct connection;
  // What acquire() hands out: an idle connection, or the right to open a new one.
  struct slot {
    std::shared_ptr<connection> idle;
    bool open_new = false;
    std::optional<transport_error> error;
  };

  outbound_client(boost::asio::any_io_executor executor, origin_url target,
                  outbound_settings settings);

  // Pool bookkeeping runs on strand_ only; connections do their I/O on their own strands.
  boost::asio::awaitable<slot> acquire(std::chrono::steady_clock::time_point deadline);
  void give_back(std::shared_ptr<connection> conn, bool reusable);
  void wake_one_waiter();
  boost::asio::awaitable<std::optional<transport_error>> connect(
      std::shared_ptr<connection> conn, std::chrono::steady_clock::time_point deadline);
  boost::asio::awaitable<std::optional<outbound_result>> exchange(
      std::shared_ptr<connection> conn, const outbound_request& request,
      std::chrono::steady_clock::time_point deadline);
  std::string host_header() const;

  boost::asio::any_io_executor executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  origin_url target_;
  outbound_settings settings_;
  std::shared_ptr<boost::asio::ssl::context> tls_;

  // On strand_ only:
  bool stopped_ = false;
  std::size_t open_ = 0;
  std::vector<std::shared_ptr<connection>> idle_;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiting_;  // for a free slot, FIFO

  // Copies for observers on other threads.
  std::atomic<std::size_t> open_count_{0};
  std::atomic<std::size_t> idle_count_{0};
};

}  // namespace gpt_adapter::http
