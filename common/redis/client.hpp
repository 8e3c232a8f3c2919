#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/redis/reply.hpp"
#include "common/redis/script.hpp"
#include "common/redis/url.hpp"

namespace gpt_adapter::redis {

template <typename T>
concept command_argument = std::convertible_to<T, std::string_view>;

// The project's one Redis client: a single connection (TCP or TLS, found through Sentinel when
// configured so), shared by any number of coroutines on any threads. Commands are pipelined on
// the connection in the order they reach the client. Reconnects forever with exponential
// backoff after any error, sending AUTH and SELECT before it reports itself connected.
//
// A command answered READONLY (the server is a replica now: a failover) or LOADING (it is
// still loading its data) did not run; the client reconnects, through the sentinels, and sends
// it again within its timeout.
//
// Every command has a timeout. One that times out after it was written closes the connection
// (Redis answers in order, so everything behind it is stuck) and the client reconnects; the
// commands in flight on it fail with error. Nothing is retried: after an error, a command may
// or may not have run. A blocking command (BLPOP, XREADGROUP ... BLOCK) holds up every command
// queued behind it on the connection: give blocking readers their own client.
//
// Call stop() when done. A client whose last reference goes away without it closes its
// connection once no command is pending.
class client : public std::enable_shared_from_this<client> {
 public:
  // Throws std::invalid_argument for bad time limits and std::runtime_error when the TLS files
  // cannot be used.
  static std::shared_ptr<client> create(boost::asio::any_io_executor executor,
                                        connection_options options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Connects in the background. Idempotent; no effect after stop().
  void start();
  // Closes the connection, fails pending commands with error and stops reconnecting.
  // Idempotent; safe from any thread.
  void stop();

  // Sends one command (binary-safe arguments) and returns its reply. Throws reply_error on an
  // error reply, error on timeout, connection loss or a stopped client. While disconnected it
  // waits for the reconnect, within the same timeout. Resumes on the caller's executor.
  boost::asio::awaitable<reply> command(std::vector<std::string> args);
  // As above with its own timeout, e.g. longer than the BLOCK of an XREADGROUP.
  boost::asio::awaitable<reply> command(std::vector<std::string> args,
                                        std::chrono::milliseconds timeout);
  // command("SET", key, value). Inside a coroutine, prefer this to command({...}): GCC 12
  // rejects a braced list in a co_await expression ("array used as initializer").
  template <command_argument First, command_argument... Rest>
  boost::asio::awaitable<reply> command(First&& first, Rest&&... rest) {
    return command(std::vector<std::string>{std::string(std::string_view(first)),
                                            std::string(std::string_view(rest))...});
  }

  // Writes all commands at once and returns their replies in order; error replies are returned
  // as replies of kind error, not thrown. Throws error as command() does, for the batch.
  boost::asio::awaitable<std::vector<reply>> pipeline(
      std::vector<std::vector<std::string>> commands);
  boost::asio::awaitable<std::vector<reply>> pipeline(
      std::vector<std::vector<std::string>> commands, std::chrono::milliseconds timeout);

  // Runs a Lua script by EVALSHA. When Redis does not know it (NOSCRIPT: a restart, SCRIPT
  // FLUSH, a failover) it is sent once more with EVAL, which loads it for the next calls.
  // Throws as command() does; the timeout applies to each of the two sends.
  boost::asio::awaitable<reply> eval(const script& lua, std::vector<std::string> keys,
                                     std::vector<std::string> args);
  boost::asio::awaitable<reply> eval(const script& lua, std::vector<std::string> keys,
                                     std::vector<std::string> args,
                                     std::chrono::milliseconds timeout);

  // With options.wait_replicas set: returns once that many replicas have every write this client
  // sent before (WAIT), and throws error when fewer did within options.wait_timeout. Replication
  // is asynchronous: without it, a write the primary acknowledged can be lost in a failover.
  // Returns at once without the option.
  boost::asio::awaitable<void> wait_for_replicas();

  // Whether a connection is established and authenticated. Thread-safe.
  bool connected() const { return connected_.load(); }
  // Times a connection was established again after a previous one was lost. Thread-safe.
  std::uint64_t reconnects() const { return reconnects_.load(); }

 private:
  struct operation;
  // One connection and what is in flight on it.
  struct link;

  client(boost::asio::any_io_executor executor, connection_options options);

  boost::asio::awaitable<std::vector<reply>> execute(std::vector<std::vector<std::string>> commands,
                                                     std::chrono::milliseconds timeout);
  // The rest runs on strand_.
  void submit(const std::shared_ptr<operation>& op);
  void write(const std::shared_ptr<operation>& op);
  void on_timeout(const std::shared_ptr<operation>& op);
  static void complete(const std::shared_ptr<operation>& op, std::exception_ptr failure);

  // One connection attempt, then reading its replies until it ends; any failure leads to a
  // retry after a backoff delay. The coroutines hold the client weakly.
  enum class state { idle, connecting, ready, waiting_to_retry, stopped };

  void connect();
  static boost::asio::awaitable<void> run_connection(std::weak_ptr<client> weak,
                                                     std::uint64_t attempt);
  static boost::asio::awaitable<void> write_out(std::weak_ptr<client> weak,
                                                std::shared_ptr<link> on);
  void on_connected(const std::shared_ptr<link>& ready);
  void deliver(link& from, reply answer);
  // Puts a command nothing of which ran (READONLY, LOADING) back in line for the next
  // connection, within its own timer.
  void send_again_later(const std::shared_ptr<operation>& op);
  void connection_ended(const std::shared_ptr<link>& ended, const std::string& error);
  void close_connection(std::uint64_t attempt, std::string reason);
  void attempt_failed(const std::string& error);
  std::chrono::milliseconds next_reconnect_delay();
  void shutdown();

  connection_options options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> reconnects_{0};

  // Owned by strand_.
  state state_ = state::idle;
  std::uint64_t attempt_ = 0;  // identifies the current connection attempt in late callbacks
  std::shared_ptr<link> link_;
  bool ever_ready_ = false;
  std::string last_error_;
  unsigned failed_attempts_ = 0;  // since the last ready connection: the backoff exponent
  boost::asio::steady_timer reconnect_timer_;
  std::deque<std::shared_ptr<operation>> waiting_;  // submitted while not ready
  std::minstd_rand jitter_;
};

}  // namespace gpt_adapter::redis
