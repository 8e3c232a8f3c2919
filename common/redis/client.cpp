#include "common/redis/client.hpp"

#include <algorithm>
#include <csignal>
#include <iterator>
#include <stdexcept>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/logging/logger.hpp"
#include "common/redis/asio_adapter.hpp"

namespace gpt_adapter::redis {

using std::chrono::milliseconds;

struct client::operation {
  using handler_type =
      boost::asio::any_completion_handler<void(std::exception_ptr, std::vector<reply>)>;

  // The handler is only ever move-constructed: Asio 1.81's any_completion_handler move
  // assignment recurses endlessly.
  template <typename Handler>
  operation(const boost::asio::strand<boost::asio::any_io_executor>& strand,
            std::vector<std::vector<std::string>> commands, milliseconds timeout, Handler&& caller)
      : commands(std::move(commands)),
        timeout(timeout),
        replies(this->commands.size()),
        timer(strand),
        handler_executor(boost::asio::prefer(
            boost::asio::get_associated_executor(caller, strand.get_inner_executor()),
            boost::asio::execution::outstanding_work.tracked)),
        handler(std::forward<Handler>(caller)) {}

  std::vector<std::vector<std::string>> commands;  // emptied once written
  milliseconds timeout;
  std::vector<reply> replies;
  std::size_t received = 0;
  std::uint64_t attempt = 0;  // the connection it was written to; 0 while waiting for one
  bool done = false;          // the caller has been (or is being) resumed
  boost::asio::steady_timer timer;
  // The caller's executor with outstanding work, so its context waits for the completion.
  boost::asio::any_io_executor handler_executor;
  handler_type handler;
};

std::shared_ptr<client> client::create(boost::asio::any_io_executor executor,
                                       connection_options options) {
  if (options.connect_timeout <= milliseconds::zero() ||
      options.command_timeout <= milliseconds::zero()) {
    throw std::invalid_argument("redis connect and command timeouts must be positive");
  }
  if (options.reconnect_min_delay <= milliseconds::zero() ||
      options.reconnect_max_delay < options.reconnect_min_delay) {
    throw std::invalid_argument(
        "redis reconnect delays must be positive, the maximum no less than the minimum");
  }
  // hiredis writes with write(2), not send(MSG_NOSIGNAL): a write to a connection the server
  // has just closed would otherwise kill the process instead of failing with EPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  return std::shared_ptr<client>(new client(std::move(executor), std::move(options)));
}

client::client(boost::asio::any_io_executor executor, connection_options options)
    : options_(std::move(options)),
      strand_(boost::asio::make_strand(std::move(executor))),
      resolver_(strand_),
      connect_timer_(strand_),
      reconnect_timer_(strand_),
      jitter_(std::random_device{}()) {}

// Pending commands keep the client alive through their timers, so none are left here; the
// connection (if any) is closed by the adapter's destructor.
client::~client() = default;

void client::start() {
  if (stopped_.load() || started_.exchange(true)) {
    return;
  }
  boost::asio::post(strand_, [self = shared_from_this()] { self->connect(); });
}

void client::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  connected_ = false;
  boost::asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
}

boost::asio::awaitable<reply> client::command(std::vector<std::string> args) {
  return command(std::move(args), options_.command_timeout);
}

boost::asio::awaitable<reply> client::command(std::vector<std::string> args, milliseconds timeout) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back(std::move(args));
  auto replies = co_await execute(std::move(commands), timeout);
  replies.front().throw_if_error();
  co_return std::move(replies.front());
}

boost::asio::awaitable<std::vector<reply>> client::pipeline(
    std::vector<std::vector<std::string>> commands) {
  return pipeline(std::move(commands), options_.command_timeout);
}

boost::asio::awaitable<std::vector<reply>> client::pipeline(
    std::vector<std::vector<std::string>> commands, milliseconds timeout) {
  if (commands.empty()) {
    co_return std::vector<reply>{};
  }
  co_return co_await execute(std::move(commands), timeout);
}

boost::asio::awaitable<reply> client::eval(const script& lua, std::vector<std::string> keys,
                                           std::vector<std::string> args) {
  return eval(lua, std::move(keys), std::move(args), options_.command_timeout);
}

boost::asio::awaitable<reply> client::eval(const script& lua, std::vector<std::string> keys,
                                           std::vector<std::string> args, milliseconds timeout) {
  std::vector<std::vector<std::string>> commands(1);
  auto& call = commands.front();
  call.reserve(3 + keys.size() + args.size());
  call.emplace_back("EVALSHA");
  call.push_back(lua.sha1());
  call.push_back(std::to_string(keys.size()));
  std::move(keys.begin(), keys.end(), std::back_inserter(call));
  std::move(args.begin(), args.end(), std::back_inserter(call));
  // A copy for the rare second send: the client consumes what it writes.
  auto fallback = call;
  auto replies = co_await execute(std::move(commands), timeout);
  if (replies.front().is_error() && replies.front().text.starts_with("NOSCRIPT")) {
    fallback[0] = "EVAL";
    fallback[1] = lua.text();
    commands.clear();
    commands.push_back(std::move(fallback));
    replies = co_await execute(std::move(commands), timeout);
  }
  replies.front().throw_if_error();
  co_return std::move(replies.front());
}

boost::asio::awaitable<std::vector<reply>> client::execute(
    std::vector<std::vector<std::string>> commands, milliseconds timeout) {
  if (timeout <= milliseconds::zero()) {
    throw std::invalid_argument("redis command timeout must be positive");
  }
  if (std::any_of(commands.begin(), commands.end(), [](const auto& c) { return c.empty(); })) {
    throw std::invalid_argument("redis command has no arguments");
  }
  // A named initiation, not a lambda temporary inside the co_await expression: GCC 12
  // destroys such temporaries twice.
  auto initiation = [self = shared_from_this(), timeout](
                        auto handler, std::vector<std::vector<std::string>> commands) {
    auto op = std::make_shared<operation>(self->strand_, std::move(commands), timeout,
                                          std::move(handler));
    boost::asio::post(self->strand_, [self, op] { self->submit(op); });
  };
  auto replies = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                                      void(std::exception_ptr, std::vector<reply>)>(
      std::move(initiation), boost::asio::use_awaitable, std::move(commands));
  co_return replies;
}

void client::submit(const std::shared_ptr<operation>& op) {
  if (stopped_.load()) {
    complete(op, std::make_exception_ptr(error("redis client stopped")));
    return;
  }
  op->timer.expires_after(op->timeout);
  op->timer.async_wait([self = shared_from_this(), op](const boost::system::error_code& error) {
    if (!error) {
      self->on_timeout(op);
    }
  });
  if (state_ == state::ready) {
    write(op);
  } else {
    waiting_.push_back(op);
  }
}

void client::write(const std::shared_ptr<operation>& op) {
  op->attempt = attempt_;
  const auto commands = std::exchange(op->commands, {});
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const bool queued =
        connection_->send(commands[i], [op, i](const redisReply* raw, std::string_view failure) {
          if (op->done) {
            return;
          }
          if (raw == nullptr) {
            complete(op, std::make_exception_ptr(
                             error("redis connection closed: " + std::string(failure))));
            return;
          }
          op->replies[i] = reply::from_hiredis(*raw);
          if (++op->received == op->replies.size()) {
            complete(op, nullptr);
          }
        });
    if (!queued) {
      complete(op, std::make_exception_ptr(error("redis connection is closing")));
      return;
    }
  }
}

void client::complete(const std::shared_ptr<operation>& op, std::exception_ptr failure) {
  if (op->done) {
    return;
  }
  op->done = true;
  op->timer.cancel();
  auto executor = std::move(op->handler_executor);
  // Always posted: the caller resumes on its own executor, never inside hiredis.
  boost::asio::post(executor, [handler = std::move(op->handler), failure = std::move(failure),
                               replies = std::move(op->replies)]() mutable {
    std::move(handler)(failure, std::move(replies));
  });
}

void client::on_timeout(const std::shared_ptr<operation>& op) {
  if (op->done) {
    return;
  }
  const bool written = op->attempt != 0;
  std::string message =
      "redis command timed out after " + std::to_string(op->timeout.count()) + " ms";
  if (!written) {
    message += " waiting for a connection";
    if (!last_error_.empty()) {
      message += " (last error: " + last_error_ + ")";
    }
  }
  complete(op, std::make_exception_ptr(error(message)));
  if (!written) {
    std::erase(waiting_, op);
    return;
  }
  // Redis answers in order: every later command is stuck behind this one, and a peer that
  // stopped answering cannot be told apart from a dead one. Start over on a fresh connection.
  if (op->attempt == attempt_ && state_ == state::ready) {
    logging::warn("redis command timed out, reconnecting", {{"host", options_.host.c_str()},
                                                            {"port", options_.port},
                                                            {"timeout_ms", op->timeout.count()}});
    close_connection(op->attempt, "a command timed out");
  }
}

void client::connect() {
  if (stopped_.load()) {
    return;
  }
  const auto attempt = ++attempt_;
  state_ = state::resolving;
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([weak = weak_from_this(), attempt](const boost::system::error_code& e) {
    if (auto self = weak.lock(); self && !e) {
      self->on_connect_timeout(attempt);
    }
  });
  // hiredis would resolve the name with a blocking getaddrinfo on an I/O thread.
  resolver_.async_resolve(options_.host, std::to_string(options_.port),
                          [weak = weak_from_this(), attempt](
                              const boost::system::error_code& error,
                              const boost::asio::ip::tcp::resolver::results_type& endpoints) {
                            if (auto self = weak.lock()) {
                              self->on_resolved(attempt, error, endpoints);
                            }
                          });
}

void client::on_resolved(std::uint64_t attempt, const boost::system::error_code& error,
                         const boost::asio::ip::tcp::resolver::results_type& endpoints) {
  if (attempt != attempt_ || state_ != state::resolving) {
    return;
  }
  if (error || endpoints.empty()) {
    attempt_failed("cannot resolve " + options_.host + ": " + error.message());
    return;
  }
  // Successive attempts go through the addresses in turn: a name may resolve first to an
  // address the server does not listen on (localhost as ::1, say).
  auto endpoint = endpoints.begin();
  std::advance(endpoint, failed_attempts_ % endpoints.size());
  const std::string address = endpoint->endpoint().address().to_string();
  redisAsyncContext* context = redisAsyncConnect(address.c_str(), options_.port);
  if (context == nullptr) {
    attempt_failed("cannot allocate a hiredis context");
    return;
  }
  if (context->err != 0) {
    const std::string reason = context->errstr;
    redisAsyncFree(context);
    attempt_failed(reason);
    return;
  }
  try {
    connection_ = asio_adapter::attach(strand_, context,
                                       [weak = weak_from_this(), attempt](std::string_view reason) {
                                         if (auto self = weak.lock()) {
                                           self->on_closed(attempt, std::string(reason));
                                         }
                                       });
  } catch (const std::exception& e) {
    // attach() has freed the context; an exception must not escape into io_context::run().
    attempt_failed(std::string("cannot watch the socket: ") + e.what());
    return;
  }
  state_ = state::handshaking;
  send_handshake(attempt);
}

void client::send_handshake(std::uint64_t attempt) {
  std::vector<std::vector<std::string>> steps;
  if (!options_.password.empty()) {
    if (options_.username.empty()) {
      steps.push_back({"AUTH", options_.password});
    } else {
      steps.push_back({"AUTH", options_.username, options_.password});
    }
  }
  if (options_.database != 0) {
    steps.push_back({"SELECT", std::to_string(options_.database)});
  }
  if (steps.empty()) {
    // The TCP connect alone does not prove a Redis server answers on the other end.
    steps.push_back({"PING"});
  }
  auto remaining = std::make_shared<std::size_t>(steps.size());
  for (const auto& step : steps) {
    // Replies arrive inside hiredis: act on them from the strand, outside its call stack.
    connection_->send(step, [weak = weak_from_this(), attempt, remaining, name = step.front()](
                                const redisReply* raw, std::string_view) {
      auto self = weak.lock();
      if (raw == nullptr || !self) {
        return;
      }
      if (raw->type == REDIS_REPLY_ERROR) {
        boost::asio::post(
            self->strand_,
            [self, attempt,
             reason = name + " failed: " + std::string(raw->str, raw->len)]() mutable {
              self->close_connection(attempt, std::move(reason));
            });
      } else if (--*remaining == 0) {
        boost::asio::post(self->strand_, [self, attempt] { self->on_handshake_done(attempt); });
      }
    });
  }
}

void client::on_handshake_done(std::uint64_t attempt) {
  if (attempt != attempt_ || state_ != state::handshaking) {
    return;
  }
  connect_timer_.cancel();
  state_ = state::ready;
  connected_ = true;
  failed_attempts_ = 0;
  last_error_.clear();
  if (ever_ready_) {
    ++reconnects_;
    logging::info("redis connection restored",
                  {{"host", options_.host.c_str()}, {"port", options_.port}});
  } else {
    logging::info("redis connected", {{"host", options_.host.c_str()}, {"port", options_.port}});
  }
  ever_ready_ = true;
  for (const auto& op : std::exchange(waiting_, {})) {
    if (!op->done) {
      write(op);
    }
  }
}

void client::on_connect_timeout(std::uint64_t attempt) {
  if (attempt != attempt_) {
    return;
  }
  const std::string reason =
      "connect timed out after " + std::to_string(options_.connect_timeout.count()) + " ms";
  if (state_ == state::resolving) {
    resolver_.cancel();
    attempt_failed(reason);
  } else if (state_ == state::handshaking) {
    close_connection(attempt, reason);
  }
}

void client::close_connection(std::uint64_t attempt, std::string reason) {
  if (attempt == attempt_ && connection_ && connection_->context() != nullptr) {
    // Fails the commands written to it, then reports back through on_closed.
    connection_->close(std::move(reason));
  }
}

void client::on_closed(std::uint64_t attempt, const std::string& error) {
  if (attempt != attempt_) {
    return;
  }
  if (state_ == state::ready) {
    logging::warn(
        "redis connection lost",
        {{"host", options_.host.c_str()}, {"port", options_.port}, {"error", error.c_str()}});
  }
  if (state_ == state::ready || state_ == state::handshaking) {
    attempt_failed(error);
  }
}

void client::attempt_failed(const std::string& error) {
  const bool was_ready = state_ == state::ready;
  connected_ = false;
  connect_timer_.cancel();
  last_error_ = error;
  if (stopped_.load()) {
    state_ = state::stopped;
    return;
  }
  state_ = state::waiting_to_retry;
  const auto delay = next_reconnect_delay();
  if (!was_ready) {
    logging::warn("redis connection attempt failed", {{"host", options_.host.c_str()},
                                                      {"port", options_.port},
                                                      {"error", error.c_str()},
                                                      {"retry_in_ms", delay.count()}});
  }
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& e) {
    if (auto self = weak.lock(); self && !e) {
      self->connect();
    }
  });
}

milliseconds client::next_reconnect_delay() {
  // min * 2^failures, capped, with "equal jitter": a random point in the upper half, so that
  // many clients losing the same server do not come back in lockstep.
  const auto exponent = std::min(failed_attempts_++, 20U);
  const auto ceiling = std::min(options_.reconnect_min_delay * (milliseconds::rep{1} << exponent),
                                options_.reconnect_max_delay);
  std::uniform_int_distribution<milliseconds::rep> pick(ceiling.count() / 2, ceiling.count());
  return milliseconds(pick(jitter_));
}

void client::shutdown() {
  state_ = state::stopped;
  connected_ = false;
  resolver_.cancel();
  connect_timer_.cancel();
  reconnect_timer_.cancel();
  for (const auto& op : std::exchange(waiting_, {})) {
    complete(op, std::make_exception_ptr(error("redis client stopped")));
  }
  if (connection_) {
    connection_->close("redis client stopped");
    connection_.reset();
  }
}

}  // namespace gpt_adapter::redis
