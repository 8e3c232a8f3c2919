#include "common/redis/client.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <iterator>
#include <random>
#include <stdexcept>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/redis/connection.hpp"

namespace gpt_adapter::redis {

using std::chrono::milliseconds;

// One reconnecting, pipelined connection. Everything but start(), stop() and execute() runs on
// strand_; each pending command holds the lane through its timer, the connection's coroutines
// hold it weakly.
class client::lane : public std::enable_shared_from_this<lane> {
 public:
  lane(boost::asio::any_io_executor executor, const connection_options& options,
       std::shared_ptr<boost::asio::ssl::context> tls);
  ~lane();
  lane(const lane&) = delete;
  lane& operator=(const lane&) = delete;

  void start();
  void stop();
  boost::asio::awaitable<std::vector<reply>> execute(std::vector<std::vector<std::string>> commands,
                                                     milliseconds timeout);
  // The context the lane's strand runs on: callers there use this lane.
  const boost::asio::execution_context& context() const { return context_; }
  bool connected() const { return connected_.load(); }
  std::uint64_t reconnects() const { return reconnects_.load(); }

 private:
  struct operation;
  // One connection and what is in flight on it.
  struct link;

  void submit(const std::shared_ptr<operation>& op);
  void write(const std::shared_ptr<operation>& op);
  void on_timeout(const std::shared_ptr<operation>& op);
  static void complete(const std::shared_ptr<operation>& op, std::exception_ptr failure);

  // One connection attempt, then reading its replies until it ends; any failure leads to a
  // retry after a backoff delay. The coroutines hold the lane weakly.
  enum class state { idle, connecting, ready, waiting_to_retry, stopped };

  void connect();
  static boost::asio::awaitable<void> run_connection(std::weak_ptr<lane> weak,
                                                     std::uint64_t attempt);
  static boost::asio::awaitable<void> write_out(std::weak_ptr<lane> weak, std::shared_ptr<link> on);
  void on_connected(const std::shared_ptr<link>& ready);
  void deliver(link& from, reply answer);
  // Puts a command nothing of which ran (READONLY, LOADING) back in line for the next
  // connection, within its own timer.
  void send_again_later(const std::shared_ptr<operation>& op);
  void connection_ended(const std::shared_ptr<link>& ended, const std::string& error);
  void close_connection(std::uint64_t attempt, std::string reason);
  void attempt_failed(const std::string& error);
  milliseconds next_reconnect_delay();
  void shutdown();

  connection_options options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const boost::asio::execution_context& context_;
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

struct client::lane::link {
  std::uint64_t attempt = 0;
  std::shared_ptr<connection> conn;
  struct expected_reply {
    std::shared_ptr<operation> op;
    std::size_t index;
  };
  std::deque<expected_reply> in_flight;  // in the order they were written: Redis answers so
  std::string outgoing;                  // encoded, not yet handed to write_out
  bool writing = false;
  std::string close_reason;  // set when we close it: what the commands in flight are told
};

struct client::lane::operation {
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

  std::vector<std::vector<std::string>> commands;  // kept: READONLY and LOADING send them again
  milliseconds timeout;
  std::vector<reply> replies;
  std::size_t received = 0;
  std::uint64_t attempt = 0;  // the connection it was written to; 0 while waiting for one
  bool done = false;          // the caller has been (or is being) resumed
  bool send_again = false;    // a reply said READONLY or LOADING: nothing of it ran
  boost::asio::steady_timer timer;
  // The caller's executor with outstanding work, so its context waits for the completion.
  boost::asio::any_io_executor handler_executor;
  handler_type handler;
};

std::shared_ptr<client> client::create(boost::asio::any_io_executor executor,
                                       connection_options options) {
  return create(std::vector<boost::asio::any_io_executor>{std::move(executor)}, std::move(options));
}

std::shared_ptr<client> client::create(std::vector<boost::asio::any_io_executor> executors,
                                       connection_options options) {
  if (executors.empty()) {
    throw std::invalid_argument("a redis client needs an executor");
  }
  if (options.connect_timeout <= milliseconds::zero() ||
      options.command_timeout <= milliseconds::zero()) {
    throw std::invalid_argument("redis connect and command timeouts must be positive");
  }
  if (options.reconnect_min_delay <= milliseconds::zero() ||
      options.reconnect_max_delay < options.reconnect_min_delay) {
    throw std::invalid_argument(
        "redis reconnect delays must be positive, the maximum no less than the minimum");
  }
  return std::shared_ptr<client>(new client(std::move(executors), std::move(options)));
}

client::client(std::vector<boost::asio::any_io_executor> executors, connection_options options)
    : options_(std::move(options)) {
  const auto tls = make_tls_context(options_);
  for (auto& executor : executors) {
    lanes_.push_back(std::make_shared<lane>(std::move(executor), options_, tls));
  }
}

client::~client() = default;

void client::start() {
  for (const auto& each : lanes_) {
    each->start();
  }
}

void client::stop() {
  for (const auto& each : lanes_) {
    each->stop();
  }
}

bool client::connected() const {
  return std::all_of(lanes_.begin(), lanes_.end(),
                     [](const auto& each) { return each->connected(); });
}

std::uint64_t client::reconnects() const {
  std::uint64_t total = 0;
  for (const auto& each : lanes_) {
    total += each->reconnects();
  }
  return total;
}

client::lane::lane(boost::asio::any_io_executor executor, const connection_options& options,
                   std::shared_ptr<boost::asio::ssl::context> tls)
    : options_(options),
      tls_(std::move(tls)),
      strand_(boost::asio::make_strand(std::move(executor))),
      context_(boost::asio::query(strand_, boost::asio::execution::context)),
      reconnect_timer_(strand_),
      jitter_(std::random_device{}()) {}

// Pending commands keep the lane alive through their timers, so none are left here. The
// connection's coroutines hold it weakly: closing the socket ends them.
client::lane::~lane() {
  if (link_ && link_->conn) {
    link_->conn->close();
  }
}

void client::lane::start() {
  if (stopped_.load() || started_.exchange(true)) {
    return;
  }
  boost::asio::post(strand_, [self = shared_from_this()] { self->connect(); });
}

void client::lane::stop() {
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

boost::asio::awaitable<void> client::wait_for_replicas() {
  if (options_.wait_replicas == 0) {
    co_return;
  }
  std::vector<std::string> wait(1, "WAIT");
  wait.push_back(std::to_string(options_.wait_replicas));
  wait.push_back(std::to_string(options_.wait_timeout.count()));
  const auto answer =
      co_await command(std::move(wait), options_.wait_timeout + options_.command_timeout);
  if (answer.as_integer() < options_.wait_replicas) {
    throw error("only " + std::to_string(answer.as_integer()) + " of " +
                std::to_string(options_.wait_replicas) +
                " replicas acknowledged the write within " +
                std::to_string(options_.wait_timeout.count()) + " ms");
  }
}

boost::asio::awaitable<std::vector<reply>> client::execute(
    std::vector<std::vector<std::string>> commands, milliseconds timeout) {
  const auto caller = co_await boost::asio::this_coro::executor;
  const auto& where = boost::asio::query(caller, boost::asio::execution::context);
  auto* chosen = lanes_.front().get();
  for (const auto& each : lanes_) {
    if (&each->context() == &where) {
      chosen = each.get();
      break;
    }
  }
  co_return co_await chosen->execute(std::move(commands), timeout);
}

boost::asio::awaitable<std::vector<reply>> client::lane::execute(
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

void client::lane::submit(const std::shared_ptr<operation>& op) {
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

void client::lane::write(const std::shared_ptr<operation>& op) {
  op->attempt = attempt_;
  for (std::size_t i = 0; i < op->commands.size(); ++i) {
    append_command(link_->outgoing, op->commands[i]);
    link_->in_flight.push_back({op, i});
  }
  if (!link_->writing) {
    link_->writing = true;
    boost::asio::co_spawn(strand_, write_out(weak_from_this(), link_), boost::asio::detached);
  }
}

boost::asio::awaitable<void> client::lane::write_out(std::weak_ptr<lane> weak,
                                                     std::shared_ptr<link> on) {
  std::string sending;
  while (!on->outgoing.empty()) {
    sending.clear();
    std::swap(sending, on->outgoing);
    try {
      co_await on->conn->write(sending);
    } catch (const std::exception& failure) {
      if (auto self = weak.lock()) {
        self->close_connection(on->attempt, failure.what());
      }
      break;
    }
  }
  on->writing = false;
}

void client::lane::complete(const std::shared_ptr<operation>& op, std::exception_ptr failure) {
  if (op->done) {
    return;
  }
  op->done = true;
  op->timer.cancel();
  auto executor = std::move(op->handler_executor);
  // Always posted: the caller resumes on its own executor, never inside the read loop.
  boost::asio::post(executor, [handler = std::move(op->handler), failure = std::move(failure),
                               replies = std::move(op->replies)]() mutable {
    std::move(handler)(failure, std::move(replies));
  });
}

void client::lane::on_timeout(const std::shared_ptr<operation>& op) {
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
    logging::warn("redis command timed out, reconnecting",
                  {{"redis", describe(options_)}, {"timeout_ms", op->timeout.count()}});
    close_connection(op->attempt, "a command timed out");
  }
}

void client::lane::connect() {
  if (stopped_.load()) {
    return;
  }
  const auto attempt = ++attempt_;
  state_ = state::connecting;
  boost::asio::co_spawn(strand_, run_connection(weak_from_this(), attempt), boost::asio::detached);
}

boost::asio::awaitable<void> client::lane::run_connection(std::weak_ptr<lane> weak,
                                                          std::uint64_t attempt) {
  auto on = std::make_shared<link>();
  on->attempt = attempt;
  try {
    std::size_t first_sentinel = 0;
    connection_options options;
    std::shared_ptr<boost::asio::ssl::context> tls;
    {
      const auto self = weak.lock();
      if (!self) {
        co_return;
      }
      first_sentinel = self->failed_attempts_;
      options = self->options_;
      tls = self->tls_;
    }
    auto opened = co_await connection::open(co_await boost::asio::this_coro::executor, options,
                                            std::move(tls), first_sentinel);
    on->conn = std::move(opened);
  } catch (const std::exception& failure) {
    if (auto self = weak.lock(); self && attempt == self->attempt_) {
      self->attempt_failed(failure.what());
    }
    co_return;
  }
  if (auto self = weak.lock(); self && attempt == self->attempt_ && !self->stopped_.load()) {
    self->on_connected(on);
  } else {
    on->conn->close();
    co_return;
  }
  std::string ended;
  try {
    while (true) {
      auto answer = co_await on->conn->read_reply();
      const auto self = weak.lock();
      if (!self) {
        co_return;
      }
      self->deliver(*on, std::move(answer));
    }
  } catch (const std::exception& failure) {
    ended = on->close_reason.empty() ? failure.what() : on->close_reason;
  }
  if (auto self = weak.lock()) {
    self->connection_ended(on, ended);
  }
}

void client::lane::on_connected(const std::shared_ptr<link>& ready) {
  link_ = ready;
  state_ = state::ready;
  connected_ = true;
  failed_attempts_ = 0;
  last_error_.clear();
  const auto& where = ready->conn->address();
  const std::string server = where.host + ":" + std::to_string(where.port);
  if (ever_ready_) {
    ++reconnects_;
    logging::info("redis connection restored",
                  {{"redis", describe(options_)}, {"server", server.c_str()}});
  } else {
    logging::info("redis connected", {{"redis", describe(options_)}, {"server", server.c_str()}});
  }
  ever_ready_ = true;
  for (const auto& op : std::exchange(waiting_, {})) {
    if (!op->done) {
      write(op);
    }
  }
}

void client::lane::deliver(link& from, reply answer) {
  if (from.in_flight.empty()) {
    close_connection(from.attempt, "redis sent a reply nobody asked for");
    return;
  }
  const auto [op, index] = std::move(from.in_flight.front());
  from.in_flight.pop_front();
  if (op->done) {
    return;
  }
  // Neither ran anything: a replica refuses every write, a loading server every command.
  const bool not_run = answer.is_error() &&
                       (answer.text.starts_with("READONLY") || answer.text.starts_with("LOADING"));
  if (not_run && !op->send_again) {
    op->send_again = true;
    logging::warn("redis server cannot take commands now, reconnecting",
                  {{"redis", describe(options_)}, {"reply", answer.text.c_str()}});
    close_connection(from.attempt, answer.text);
  }
  op->replies[index] = std::move(answer);
  if (++op->received < op->replies.size()) {
    return;
  }
  if (op->send_again) {
    send_again_later(op);
    return;
  }
  complete(op, nullptr);
}

void client::lane::send_again_later(const std::shared_ptr<operation>& op) {
  op->send_again = false;
  op->received = 0;
  op->attempt = 0;
  op->replies.assign(op->commands.size(), reply{});
  waiting_.push_back(op);
}

void client::lane::connection_ended(const std::shared_ptr<link>& ended,
                                    const std::string& error_text) {
  for (const auto& expected : std::exchange(ended->in_flight, {})) {
    const auto& op = expected.op;
    // The rest of a command already going out again stays with it.
    if (std::find(waiting_.begin(), waiting_.end(), op) != waiting_.end()) {
      continue;
    }
    if (op->send_again && !op->done) {
      send_again_later(op);
      continue;
    }
    complete(op, std::make_exception_ptr(error("redis connection closed: " + error_text)));
  }
  ended->outgoing.clear();
  if (link_ != ended) {
    return;
  }
  link_.reset();
  if (state_ == state::ready) {
    logging::warn("redis connection lost",
                  {{"redis", describe(options_)}, {"error", error_text.c_str()}});
    attempt_failed(error_text);
  }
}

void client::lane::close_connection(std::uint64_t attempt, std::string reason) {
  if (!link_ || link_->attempt != attempt || !link_->conn) {
    return;
  }
  const auto closing = std::exchange(link_, nullptr);
  closing->close_reason = std::move(reason);
  // Its read loop fails, then connection_ended fails the commands in flight on it.
  closing->conn->close();
  // Commands from now on wait for the next connection instead of following this one.
  if (state_ == state::ready) {
    attempt_failed(closing->close_reason);
  }
}

void client::lane::attempt_failed(const std::string& error_text) {
  const bool was_ready = state_ == state::ready;
  connected_ = false;
  last_error_ = error_text;
  if (stopped_.load()) {
    state_ = state::stopped;
    return;
  }
  state_ = state::waiting_to_retry;
  const auto delay = next_reconnect_delay();
  if (!was_ready) {
    logging::warn("redis connection attempt failed", {{"redis", describe(options_)},
                                                      {"error", error_text.c_str()},
                                                      {"retry_in_ms", delay.count()}});
  }
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& e) {
    if (auto self = weak.lock(); self && !e) {
      self->connect();
    }
  });
}

milliseconds client::lane::next_reconnect_delay() {
  // min * 2^failures, capped, with "equal jitter": a random point in the upper half, so that
  // many clients losing the same server do not come back in lockstep.
  const auto exponent = std::min(failed_attempts_++, 20U);
  const auto ceiling = std::min(options_.reconnect_min_delay * (milliseconds::rep{1} << exponent),
                                options_.reconnect_max_delay);
  std::uniform_int_distribution<milliseconds::rep> pick(ceiling.count() / 2, ceiling.count());
  return milliseconds(pick(jitter_));
}

void client::lane::shutdown() {
  state_ = state::stopped;
  connected_ = false;
  reconnect_timer_.cancel();
  for (const auto& op : std::exchange(waiting_, {})) {
    complete(op, std::make_exception_ptr(error("redis client stopped")));
  }
  if (link_) {
    close_connection(link_->attempt, "redis client stopped");
  }
}

}  // namespace gpt_adapter::redis
