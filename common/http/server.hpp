#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/config/settings.hpp"
#include "common/http/router.hpp"
#include "common/http/tls_credentials.hpp"
#include "common/metrics/registry.hpp"

// The one HTTP/1.1 server kit: the API and the worker's ops listener both run on it.
// Connections are spread round-robin over the I/O contexts it is given (one per thread in the
// services: a connection then never changes threads). A connection is one coroutine, on its own
// strand when its context has several threads: fresh parser per message with header and body
// limits, a timeout before every read, keep-alive, and graceful drain on shutdown. With
// TLS credentials every connection starts with a TLS handshake (under the read timeout).
namespace gpt_adapter::http {

class server : public std::enable_shared_from_this<server> {
 public:
  using request_parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // Without `tls` the server speaks plain HTTP. `context` may be run by any number of threads.
  server(boost::asio::io_context& context, config::http_listener_settings settings,
         std::shared_ptr<const router> routes, metrics::registry& metrics,
         std::shared_ptr<const tls_credentials> tls = nullptr);
  // Accepts on the first context and serves connections on all of them in turn. Each context
  // must be run by one thread: that alone keeps a connection's handlers apart, no strand needed.
  server(std::vector<boost::asio::io_context*> contexts, config::http_listener_settings settings,
         std::shared_ptr<const router> routes, metrics::registry& metrics,
         std::shared_ptr<const tls_credentials> tls = nullptr);
  ~server();

  // Binds and starts accepting; throws std::system_error when the address cannot be bound.
  void start();
  unsigned short port() const { return port_; }

  // Stops accepting, closes idle keep-alive connections, lets requests in flight finish and
  // then closes their connections. Connections still open after `deadline` are closed hard.
  // `on_drained` runs once, when the last connection is gone.
  void shutdown(std::chrono::milliseconds deadline, std::function<void()> on_drained);

  std::size_t open_connections() const;

 private:
  struct connection;
  server(std::vector<boost::asio::io_context*> contexts, bool strand_per_connection,
         config::http_listener_settings settings, std::shared_ptr<const router> routes,
         metrics::registry& metrics, std::shared_ptr<const tls_credentials> tls);
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<connection> conn);
  template <typename Stream>
  boost::asio::awaitable<void> serve_requests(std::shared_ptr<connection> conn, Stream& stream);
  // Reads the rest of a request whose header `parser` has read (or failed to: `header_error`),
  // answers it and returns whether the connection stays open. Its own coroutine, so that an
  // idle connection holds only the small frame of serve_requests.
  template <typename Stream>
  boost::asio::awaitable<bool> serve_one(connection& conn, Stream& stream,
                                         boost::beast::flat_buffer& buffer,
                                         request_parser_type& parser,
                                         boost::system::error_code header_error,
                                         const boost::asio::ip::address& remote);
  boost::asio::awaitable<response> dispatch(request& message, const std::string& request_id,
                                            const boost::asio::ip::address& remote);
  void forget(const std::shared_ptr<connection>& conn);
  void close_idle_connections(bool force);

  std::vector<boost::asio::io_context*> contexts_;
  bool strand_per_connection_;    // false when each context has one thread
  std::size_t next_context_ = 0;  // on the acceptor's strand
  config::http_listener_settings settings_;
  std::shared_ptr<const router> routes_;
  std::shared_ptr<const tls_credentials> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;

  mutable std::mutex connections_mutex_;
  std::set<std::shared_ptr<connection>> connections_;
  std::atomic<bool> draining_{false};
  std::function<void()> on_drained_;
  boost::asio::steady_timer drain_deadline_;  // on the acceptor's strand, like drained_
  bool drained_ = false;

  metrics::family<metrics::counter>& requests_total_;
  metrics::family<metrics::histogram>& request_duration_;
  metrics::gauge& requests_in_flight_;
  metrics::gauge& connections_open_;
};

}  // namespace gpt_adapter::http
