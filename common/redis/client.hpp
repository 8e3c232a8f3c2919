#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/redis/reply.hpp"
#include "common/redis/script.hpp"
#include "common/redis/url.hpp"

namespace gpt_adapter::redis {

template <typename T>
concept command_argument = std::convertible_to<T, std::string_view>;

// The project's one Redis client: a connection (TCP or TLS, found through Sentinel when
// configured so) per I/O context it was created for, shared by any number of coroutines on any
// threads. A command goes out on the connection of the context its caller runs on (the first
// one's for callers elsewhere), so a process with a context per thread never hands a command
// to another thread. Commands are pipelined on a connection in the order they reach it.
// Each connection reconnects forever with exponential backoff after any error, sending AUTH and
// SELECT before it reports itself connected.
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
// connections once no command is pending.
class client : public std::enable_shared_from_this<client> {
 public:
  // One connection, on `executor`. Throws std::invalid_argument for bad time limits and
  // std::runtime_error when the TLS files cannot be used.
  static std::shared_ptr<client> create(boost::asio::any_io_executor executor,
                                        connection_options options);
  // One connection per executor, each on its executor (one per I/O context); as above.
  static std::shared_ptr<client> create(std::vector<boost::asio::any_io_executor> executors,
                                        connection_options options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Connects in the background. Idempotent; no effect after stop().
  void start();
  // Closes the connections, fails pending commands with error and stops reconnecting.
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

  // With options.wait_replicas set: returns once that many replicas have every write the
  // caller's connection sent before (WAIT), and throws error when fewer did within
  // options.wait_timeout. Replication is asynchronous: without it, a write the primary
  // acknowledged can be lost in a failover. Returns at once without the option.
  boost::asio::awaitable<void> wait_for_replicas();

  // Whether every connection is established and authenticated. Thread-safe.
  bool connected() const;
  // Times a connection was established again after a previous one was lost. Thread-safe.
  std::uint64_t reconnects() const;

 private:
  // One reconnecting, pipelined connection on one executor (client.cpp).
  class lane;

  client(std::vector<boost::asio::any_io_executor> executors, connection_options options);

  boost::asio::awaitable<std::vector<reply>> execute(std::vector<std::vector<std::string>> commands,
                                                     std::chrono::milliseconds timeout);

  connection_options options_;
  std::vector<std::shared_ptr<lane>> lanes_;
};

}  // namespace gpt_adapter::redis
