#include "common/redis/subscriber.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include "common/logging/logger.hpp"
#include "common/redis/reply.hpp"

namespace gpt_adapter::redis {
namespace {

using boost::asio::use_awaitable;
using namespace boost::asio::experimental::awaitable_operators;
using std::chrono::milliseconds;
constexpr auto as_tuple_awaitable = boost::asio::as_tuple(use_awaitable);

std::string encode_command(const std::vector<std::string>& args) {
  // Appends only: GCC 12 reports a false -Wrestrict at -O2 for `"*" + std::to_string(...)`.
  std::string out;
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& arg : args) {
    out.append("$").append(std::to_string(arg.size())).append("\r\n").append(arg).append("\r\n");
  }
  return out;
}

// Replies parsed from the byte stream by hiredis's own protocol reader.
class reply_reader {
 public:
  reply_reader() : reader_(redisReaderCreate()) {
    if (reader_ == nullptr)
      throw std::bad_alloc();
  }
  ~reply_reader() { redisReaderFree(reader_); }
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  void feed(const char* data, std::size_t size) {
    if (redisReaderFeed(reader_, data, size) != REDIS_OK)
      throw error("redis reader out of memory");
  }

  // The next complete reply, or nullopt when more bytes are needed.
  std::optional<reply> next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      throw error(std::string("redis protocol error: ") + reader_->errstr);
    }
    if (raw == nullptr)
      return std::nullopt;
    auto* parsed = static_cast<redisReply*>(raw);
    auto copy = reply::from_hiredis(*parsed);
    freeReplyObject(parsed);
    return copy;
  }

 private:
  redisReader* reader_;
};

// The kind of a pub/sub push ("subscribe", "message", "pong"), or empty for anything else.
std::string_view push_kind(const reply& value) {
  if (value.type != reply::kind::array || value.elements.empty())
    return {};
  const auto& first = value.elements.front();
  if (first.type != reply::kind::string && first.type != reply::kind::status)
    return {};
  return first.text;
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
    if (self->socket_ != nullptr) {
      boost::system::error_code ignored;
      self->socket_->close(ignored);
    }
  });
}

boost::asio::awaitable<void> subscriber::run() {
  std::minstd_rand jitter(std::random_device{}());
  unsigned failures = 0;
  while (!stopped_.load()) {
    bool reached_subscription = false;
    try {
      co_await listen_once();
    } catch (const std::exception& failure) {
      reached_subscription = subscribed_.exchange(false);
      if (!stopped_.load()) {
        logging::warn("redis subscription lost; reconnecting", {{"host", settings_.connection.host},
                                                                {"port", settings_.connection.port},
                                                                {"error", failure.what()}});
      }
    }
    if (stopped_.load())
      break;
    failures = reached_subscription ? 0 : failures + 1;
    const auto ceiling = std::min<long long>(settings_.connection.reconnect_max_delay.count(),
                                             settings_.connection.reconnect_min_delay.count()
                                                 << std::min(failures, 16u));
    std::uniform_int_distribution<long long> spread(ceiling / 2, ceiling);
    backoff_timer_.expires_after(milliseconds(spread(jitter)));
    co_await backoff_timer_.async_wait(boost::asio::as_tuple(use_awaitable));
  }
}

boost::asio::awaitable<void> subscriber::connect(boost::asio::ip::tcp::socket& socket) {
  boost::asio::ip::tcp::resolver resolver(strand_);
  boost::asio::steady_timer deadline(strand_);
  deadline.expires_after(settings_.connection.connect_timeout);
  const auto port = std::to_string(settings_.connection.port);
  // `||` resumes with the first operation to succeed: I/O results come back as tuples so that
  // a failure ends the race at once instead of waiting for the deadline.
  auto resolved =
      co_await (resolver.async_resolve(settings_.connection.host, port, as_tuple_awaitable) ||
                deadline.async_wait(use_awaitable));
  if (resolved.index() == 1) {
    throw error("resolving the redis host timed out");
  }
  auto [resolve_error, endpoints] = std::get<0>(resolved);
  if (resolve_error) {
    throw error("resolving the redis host failed: " + resolve_error.message());
  }
  auto connected = co_await (boost::asio::async_connect(socket, endpoints, as_tuple_awaitable) ||
                             deadline.async_wait(use_awaitable));
  if (connected.index() == 1) {
    throw error("connecting to redis timed out");
  }
  if (const auto connect_error = std::get<0>(std::get<0>(connected)); connect_error) {
    throw error("connecting to redis failed: " + connect_error.message());
  }
  socket.set_option(boost::asio::ip::tcp::no_delay(true));
}

boost::asio::awaitable<void> subscriber::listen_once() {
  boost::asio::ip::tcp::socket socket(strand_);
  socket_ = &socket;
  struct forget_socket {
    subscriber* self;
    ~forget_socket() { self->socket_ = nullptr; }
  } forget{this};
  if (stopped_.load())
    co_return;

  co_await connect(socket);

  std::string handshake;
  const auto& connection = settings_.connection;
  const bool authenticates = !connection.password.empty();
  if (authenticates) {
    handshake += connection.username.empty()
                     ? encode_command({"AUTH", connection.password})
                     : encode_command({"AUTH", connection.username, connection.password});
  }
  std::vector<std::string> subscribe{"SUBSCRIBE"};
  subscribe.insert(subscribe.end(), settings_.channels.begin(), settings_.channels.end());
  handshake += encode_command(subscribe);
  co_await boost::asio::async_write(socket, boost::asio::buffer(handshake), use_awaitable);

  reply_reader reader;
  bool awaiting_auth = authenticates;
  std::size_t confirmed = 0;
  bool ping_outstanding = false;
  const std::string ping = encode_command({"PING"});
  std::array<char, 16 * 1024> buffer{};
  boost::asio::steady_timer quiet(strand_);

  while (!stopped_.load()) {
    // Until subscribed, and while a PING is unanswered, the server must answer within the
    // command timeout; otherwise silence is fine until the next PING is due.
    const bool expecting_answer = confirmed < settings_.channels.size() || ping_outstanding;
    quiet.expires_after(expecting_answer ? connection.command_timeout : settings_.ping_interval);
    auto read = co_await (socket.async_read_some(boost::asio::buffer(buffer), as_tuple_awaitable) ||
                          quiet.async_wait(use_awaitable));
    if (read.index() == 1) {
      if (expecting_answer) {
        throw error("redis did not answer in time");
      }
      ping_outstanding = true;
      co_await boost::asio::async_write(socket, boost::asio::buffer(ping), use_awaitable);
      continue;
    }
    const auto [read_error, received] = std::get<0>(read);
    if (read_error) {
      throw error("redis connection lost: " + read_error.message());
    }
    reader.feed(buffer.data(), received);
    while (auto next = reader.next()) {
      if (awaiting_auth) {
        awaiting_auth = false;
        if (next->is_error())
          throw error("redis refused the credentials");
        continue;
      }
      if (next->is_error())
        throw reply_error(next->text);
      const auto kind = push_kind(*next);
      if (kind == "message" && next->elements.size() == 3) {
        if (on_message_)
          on_message_(next->elements[1].text, next->elements[2].text);
      } else if (kind == "subscribe") {
        if (++confirmed == settings_.channels.size()) {
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
        ping_outstanding = false;
      }
    }
  }
}

}  // namespace gpt_adapter::redis
