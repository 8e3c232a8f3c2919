#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "common/redis/reply.hpp"
#include "common/redis/resp.hpp"
#include "common/redis/url.hpp"

namespace gpt_adapter::redis {

// The TLS context a client's connections share, from options.tls (null without TLS). Throws
// std::runtime_error naming a file that cannot be used: call it at start-up.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const connection_options& options);

// One open connection to a Redis server, over TCP or TLS, authenticated and on its database:
// what redis::client and redis::subscriber speak RESP over. TCP and TLS are one code path.
//
// Use it from one strand: at most one read_reply() and one write() in progress at a time.
class connection {
 public:
  // Finds the server (asking the sentinels for the primary when options.sentinel is set),
  // connects, verifies its certificate, sends AUTH and SELECT (or PING), and with Sentinel
  // checks that the server says ROLE master; each server within options.connect_timeout.
  // Throws error naming the step that failed. `first_sentinel` rotates which sentinel is
  // asked first. `executor` must be a strand (or a one-thread context).
  static boost::asio::awaitable<std::unique_ptr<connection>> open(
      boost::asio::any_io_executor executor, const connection_options& options,
      std::shared_ptr<boost::asio::ssl::context> tls, std::size_t first_sentinel = 0);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Writes all of `bytes`. Throws error when the connection fails or was closed.
  boost::asio::awaitable<void> write(const std::string& bytes);
  // The next reply, reading as much as it takes. Throws error when the connection fails or was
  // closed, or on a protocol error.
  boost::asio::awaitable<reply> read_reply();
  // Closes the socket: the read and write in progress fail at once. Idempotent.
  void close();

  // Where it is connected, for log lines.
  const server_address& address() const { return address_; }

 private:
  connection(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
             server_address address);

  struct connected {
    std::unique_ptr<connection> opened;
    std::vector<reply> answers;  // to `questions`
  };
  // Connects to one server and sets the connection up; `questions` are sent right after the
  // set-up, within the same time limit, and their replies returned.
  static boost::asio::awaitable<connected> connect(
      boost::asio::any_io_executor executor, server_address address,
      const connection_options& options, const std::shared_ptr<boost::asio::ssl::context>& tls,
      std::vector<std::vector<std::string>> questions);
  // Sends the commands and reads as many replies.
  boost::asio::awaitable<std::vector<reply>> exchange(
      const std::vector<std::vector<std::string>>& commands);
  boost::asio::awaitable<std::size_t> read_some();

  boost::asio::ip::tcp::socket& socket();

  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::optional<boost::asio::ip::tcp::socket> plain_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> secure_;
  server_address address_;
  reply_reader reader_;
  std::array<char, 16 * 1024> buffer_{};
};

}  // namespace gpt_adapter::redis
