#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/redis/url.hpp"

namespace gpt_adapter::redis {

class connection;

// The project's one Redis pub/sub listener: a dedicated connection in subscribe mode (a
// subscribed connection can run no other command, so it cannot share redis::client's).
// Connects, authenticates and subscribes to a fixed set of channels; after any failure, and
// when the server stops answering its PINGs, it reconnects with backoff and subscribes again,
// forever, until stop().
//
// Pub/sub delivers at most once: messages published while disconnected are gone. on_subscribed
// runs after every (re)subscription, so listeners treat it as "anything may have changed":
// drop caches, re-read state.
//
// Both handlers run on the subscriber's strand, one at a time, and must not block.
class subscriber : public std::enable_shared_from_this<subscriber> {
 public:
  using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;
  using subscribed_handler = std::function<void()>;

  struct options {
    connection_options connection;
    std::vector<std::string> channels;
    // A PING is sent after this long without traffic; no answer within the connection's
    // command timeout means the connection is dead.
    std::chrono::milliseconds ping_interval{10000};
  };

  static std::shared_ptr<subscriber> create(boost::asio::any_io_executor executor, options settings,
                                            message_handler on_message,
                                            subscribed_handler on_subscribed);
  ~subscriber();
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  // Connects in the background. Idempotent; no effect after stop().
  void start();
  // Closes the connection and stops reconnecting; no handler runs once the strand has
  // processed it. Idempotent; safe from any thread.
  void stop();

  // Whether every channel is currently subscribed (set once on_subscribed has run). Thread-safe.
  bool subscribed() const { return subscribed_.load(); }
  // Times a subscription was established again after a previous one was lost. Thread-safe.
  std::uint64_t resubscriptions() const { return resubscriptions_.load(); }

 private:
  subscriber(boost::asio::any_io_executor executor, options settings, message_handler on_message,
             subscribed_handler on_subscribed);

  // What one subscription has heard so far.
  struct listening {
    std::size_t confirmed = 0;  // channels whose subscription Redis confirmed
    bool ping_outstanding = false;
    bool heard = false;  // anything arrived since keep_alive last looked
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> listen_once();
  boost::asio::awaitable<void> read_pushes(connection& conn, listening& state);
  // PINGs a quiet connection and closes one that does not answer in time.
  boost::asio::awaitable<void> keep_alive(connection& conn, listening& state);

  options settings_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  message_handler on_message_;
  subscribed_handler on_subscribed_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<std::uint64_t> resubscriptions_{0};

  // Owned by strand_.
  std::shared_ptr<connection> connection_;  // the live connection, to close on stop()
  bool ever_subscribed_ = false;
  unsigned failures_ = 0;  // since the last subscription: the backoff exponent
  boost::asio::steady_timer backoff_timer_;
};

}  // namespace gpt_adapter::redis
