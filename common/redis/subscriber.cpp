#include "common/redis/subscriber.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/redis/connection.hpp"
#include "common/redis/reply.hpp"
#include "common/redis/resp.hpp"

namespace gpt_adapter::redis {
namespace {

using boost::asio::use_awaitable;
using namespace boost::asio::experimental::awaitable_operators;
using std::chrono::milliseconds;

// The kind of a pub/sub push ("subscribe", "message", "pong"), or empty for anything else.
std::string_view push_kind(const reply& value) {
  if (value.type != reply::kind::array || value.elements.empty())
    return {};
  const auto& first = value.elements.front();
  if (first.type != reply::kind::string && first.type != reply::kind::status)
    return {};
  return first.text;
}

// Outside the coroutines: GCC 12 rejects braced lists of strings inside one.
std::string ping_command() {
  return encode_command({"PING"});
}

}  // namespace

std::shared_ptr<subscriber> subscriber::create(boost::asio::any_io_executor executor,
                                               options settings, message_handler on_message,
                                               subscribed_handler on_subscribed) {
  if (settings.channels.empty())
    throw std::invalid_argument("a subscriber needs a channel");
  if (settings.ping_interval <= milliseconds::zero() ||
      settings.connection.command_timeout <= milliseconds::zero() ||
      settings.connection.connect_timeout <= milliseconds::zero()) {
    throw std::invalid_argument("subscriber intervals and timeouts must be positive");
  }
  return std::shared_ptr<subscriber>(new subscriber(
      std::move(executor), std::move(settings), std::move(on_message), std::move(on_subscribed)));
}

subscriber::subscriber(boost::asio::any_io_executor executor, options settings,
                       message_handler on_message, subscribed_handler on_subscribed)
    : settings_(std::move(settings)),
      tls_(make_tls_context(settings_.connection)),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)),
      strand_(boost::asio::make_strand(std::move(executor))),
      backoff_timer_(strand_) {}

subscriber::~subscriber() = default;

void subscriber::start() {
  if (stopped_.load() || started_.exchange(true))
    return;
  boost::asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->run(); }, boost::asio::detached);
}

void subscriber::stop() {
  if (stopped_.exchange(true))
    return;
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->subscribed_.store(false);
    self->backoff_timer_.cancel();
    if (self->connection_) {
      self->connection_->close();
    }
  });
}

boost::asio::awaitable<void> subscriber::run() {
  std::minstd_rand jitter(std::random_device{}());
  while (!stopped_.load()) {
    bool reached_subscription = false;
    try {
      co_await listen_once();
    } catch (const std::exception& failure) {
      reached_subscription = subscribed_.exchange(false);
      if (!stopped_.load()) {
        logging::warn("redis subscription lost; reconnecting",
                      {{"redis", describe(settings_.connection)}, {"error", failure.what()}});
      }
    }
    if (stopped_.load())
      break;
    failures_ = reached_subscription ? 0 : failures_ + 1;
    const auto ceiling = std::min<long long>(settings_.connection.reconnect_max_delay.count(),
                                             settings_.connection.reconnect_min_delay.count()
                                                 << std::min(failures_, 16u));
    std::uniform_int_distribution<long long> spread(ceiling / 2, ceiling);
    backoff_timer_.expires_after(milliseconds(spread(jitter)));
    co_await backoff_timer_.async_wait(boost::asio::as_tuple(use_awaitable));
  }
}

boost::asio::awaitable<void> subscriber::listen_once() {
  if (stopped_.load())
    co_return;
  auto opened = co_await connection::open(strand_, settings_.connection, tls_, failures_);
  std::shared_ptr<connection> conn(std::move(opened));
  connection_ = conn;
  struct forget_connection {
    subscriber* self;
    ~forget_connection() { self->connection_.reset(); }
  } forget{this};
  if (stopped_.load())
    co_return;

  std::vector<std::string> subscribe{"SUBSCRIBE"};
  subscribe.insert(subscribe.end(), settings_.channels.begin(), settings_.channels.end());
  const std::string request = encode_command(subscribe);
  co_await conn->write(request);
  listening state;
  // Neither ends but by an error, and `&&` cancels the other at the first one.
  co_await (read_pushes(*conn, state) && keep_alive(*conn, state));
}

boost::asio::awaitable<void> subscriber::read_pushes(connection& conn, listening& state) {
  while (true) {
    auto next = co_await conn.read_reply();
    state.heard = true;
    if (next.is_error())
      throw reply_error(next.text);
    const auto kind = push_kind(next);
    if (kind == "message" && next.elements.size() == 3) {
      if (on_message_)
        on_message_(next.elements[1].text, next.elements[2].text);
    } else if (kind == "subscribe") {
      if (++state.confirmed == settings_.channels.size()) {
        if (ever_subscribed_) {
          resubscriptions_.fetch_add(1);
        }
        ever_subscribed_ = true;
        logging::info("redis subscription established",
                      {{"channels", static_cast<std::int64_t>(settings_.channels.size())}});
        // The listener refreshes first: whoever sees subscribed() may rely on that.
        if (on_subscribed_) {
          on_subscribed_();
        }
        subscribed_.store(true);
      }
    } else if (kind == "pong") {
      state.ping_outstanding = false;
    }
  }
}

boost::asio::awaitable<void> subscriber::keep_alive(connection& conn, listening& state) {
  boost::asio::steady_timer wait(strand_);
  const std::string ping = ping_command();
  while (true) {
    // Until subscribed, and while a PING is unanswered, the server must answer within the
    // command timeout; otherwise silence is fine until the next PING is due.
    const bool expecting_answer =
        state.confirmed < settings_.channels.size() || state.ping_outstanding;
    state.heard = false;
    wait.expires_after(expecting_answer ? settings_.connection.command_timeout
                                        : settings_.ping_interval);
    co_await wait.async_wait(use_awaitable);
    if (expecting_answer &&
        (state.confirmed < settings_.channels.size() || state.ping_outstanding)) {
      conn.close();
      throw error("redis did not answer in time");
    }
    if (!expecting_answer && !state.heard) {
      state.ping_outstanding = true;
      co_await conn.write(ping);
    }
  }
}

}  // namespace gpt_adapter::redis
