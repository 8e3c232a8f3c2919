#include "common/redis/connection.hpp"

#include <iterator>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/tls/client_context.hpp"

namespace gpt_adapter::redis {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string name_of(const server_address& address) {
  return address.host + ":" + std::to_string(address.port);
}

// The connect timeout covers every step of open(): when it passes, whatever is in progress (a
// name lookup, or I/O on the connection being set up) is cancelled or closed.
struct deadline : std::enable_shared_from_this<deadline> {
  explicit deadline(const asio::any_io_executor& executor) : timer(executor) {}

  void start(std::chrono::milliseconds timeout) {
    timer.expires_after(timeout);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error) {
        return;
      }
      self->expired = true;
      if (self->resolving != nullptr) {
        self->resolving->cancel();
      }
      if (self->watched != nullptr) {
        self->watched->close();
      }
    });
  }

  asio::steady_timer timer;
  bool expired = false;
  tcp::resolver* resolving = nullptr;
  connection* watched = nullptr;
};

// Watches `target` for as long as it is in scope.
class watch {
 public:
  watch(deadline& limit, connection* target) : limit_(limit) { limit_.watched = target; }
  ~watch() { limit_.watched = nullptr; }
  watch(const watch&) = delete;
  watch& operator=(const watch&) = delete;

 private:
  deadline& limit_;
};

std::vector<std::vector<std::string>> handshake_commands(const connection_options& options) {
  std::vector<std::vector<std::string>> steps;
  if (!options.password.empty()) {
    if (options.username.empty()) {
      steps.push_back({"AUTH", options.password});
    } else {
      steps.push_back({"AUTH", options.username, options.password});
    }
  }
  if (options.database != 0) {
    steps.push_back({"SELECT", std::to_string(options.database)});
  }
  if (steps.empty()) {
    // The TCP connect alone does not prove a Redis server answers on the other end.
    steps.push_back({"PING"});
  }
  return steps;
}

// Outside the coroutines: GCC 12 rejects braced lists of strings inside one.
std::vector<std::vector<std::string>> master_address_question(const sentinel_options& sentinel) {
  return {{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", sentinel.master_name}};
}

std::vector<std::vector<std::string>> role_question() {
  return {{"ROLE"}};
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const connection_options& options) {
  if (!options.tls) {
    return nullptr;
  }
  return tls::make_client_context(options.tls->files);
}

connection::connection(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls,
                       server_address address)
    : tls_context_(std::move(tls)), address_(std::move(address)) {
  if (tls_context_) {
    secure_.emplace(std::move(executor), *tls_context_);
  } else {
    plain_.emplace(std::move(executor));
  }
}

connection::~connection() = default;

tcp::socket& connection::socket() {
  return secure_ ? secure_->next_layer() : *plain_;
}

void connection::close() {
  boost::system::error_code ignored;
  socket().close(ignored);
}

asio::awaitable<connection::connected> connection::connect(
    asio::any_io_executor executor, server_address address, const connection_options& options,
    const std::shared_ptr<asio::ssl::context>& tls,
    std::vector<std::vector<std::string>> questions) {
  auto limit = std::make_shared<deadline>(executor);
  limit->start(options.connect_timeout);
  const std::string where = name_of(address);
  try {
    tcp::resolver resolver(executor);
    limit->resolving = &resolver;
    // A name lookup on an Asio thread would block it: the resolver runs it on its own thread.
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(address.host, std::to_string(address.port), use_tuple);
    limit->resolving = nullptr;
    if (resolve_error) {
      throw error("cannot resolve " + address.host + ": " + resolve_error.message());
    }
    std::unique_ptr<connection> opened(new connection(executor, tls, address));
    const watch watching(*limit, opened.get());
    auto [connect_error, endpoint] =
        co_await asio::async_connect(opened->socket(), endpoints, use_tuple);
    if (connect_error) {
      throw error("cannot connect to " + where + ": " + connect_error.message());
    }
    boost::system::error_code ignored;
    opened->socket().set_option(tcp::no_delay(true), ignored);
    if (opened->secure_) {
      const std::string& expected =
          options.tls->server_name.empty() ? address.host : options.tls->server_name;
      if (!tls::expect_server_name(opened->secure_->native_handle(), expected)) {
        throw error("cannot check the TLS server name " + expected);
      }
      auto [handshake_error] =
          co_await opened->secure_->async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (handshake_error) {
        throw error(
            "TLS handshake with " + where + " failed: " +
            tls::handshake_failure_reason(opened->secure_->native_handle(), handshake_error));
      }
    }
    auto commands = handshake_commands(options);
    const auto set_up = commands.size();
    std::move(questions.begin(), questions.end(), std::back_inserter(commands));
    auto replies = co_await opened->exchange(commands);
    for (std::size_t i = 0; i < set_up; ++i) {
      if (replies[i].is_error()) {
        // AUTH's and SELECT's answers name the problem (WRONGPASS, NOPERM) without the secret.
        throw error(where + " refused the connection set-up: " + replies[i].text);
      }
    }
    replies.erase(replies.begin(), replies.begin() + static_cast<std::ptrdiff_t>(set_up));
    limit->timer.cancel();
    co_return connected{std::move(opened), std::move(replies)};
  } catch (const error&) {
    limit->timer.cancel();
    if (limit->expired) {
      throw error("connecting to " + where + " timed out after " +
                  std::to_string(options.connect_timeout.count()) + " ms");
    }
    throw;
  }
}

asio::awaitable<std::unique_ptr<connection>> connection::open(
    asio::any_io_executor executor, const connection_options& options,
    std::shared_ptr<asio::ssl::context> tls, std::size_t first_sentinel) {
  if (!options.sentinel) {
    // Named arguments, not braced temporaries: GCC 12 mishandles those in co_await calls.
    server_address address{options.host, options.port};
    std::vector<std::vector<std::string>> no_questions;
    auto direct =
        co_await connect(executor, std::move(address), options, tls, std::move(no_questions));
    co_return std::move(direct.opened);
  }
  const auto& sentinel = *options.sentinel;
  // The sentinels are asked with their own credentials and no database.
  connection_options asking = options;
  asking.username = sentinel.username;
  asking.password = sentinel.password;
  asking.database = 0;
  std::string failures;
  for (std::size_t i = 0; i < sentinel.sentinels.size(); ++i) {
    const auto& address = sentinel.sentinels[(first_sentinel + i) % sentinel.sentinels.size()];
    std::optional<server_address> primary;
    try {
      auto question = master_address_question(sentinel);
      const auto asked = co_await connect(executor, address, asking, tls, std::move(question));
      const auto& answer = asked.answers.front();
      if (answer.is_error()) {
        throw error(answer.text);
      }
      if (answer.type != reply::kind::array || answer.elements.size() != 2) {
        throw error("it does not know the master " + sentinel.master_name);
      }
      const auto port = std::stoi(answer.elements[1].as_string());
      if (port <= 0 || port > 65535) {
        throw error("it named port " + answer.elements[1].text);
      }
      primary = server_address{answer.elements[0].as_string(), static_cast<unsigned short>(port)};
    } catch (const std::exception& failure) {
      failures += (failures.empty() ? "" : "; ") + name_of(address) + ": " + failure.what();
      continue;
    }
    auto question = role_question();
    auto found = co_await connect(executor, *primary, options, tls, std::move(question));
    const auto& role = found.answers.front();
    if (role.type != reply::kind::array || role.elements.empty() ||
        role.elements.front().text != "master") {
      // A sentinel that has not yet seen a failover names the old primary, now a replica.
      throw error("sentinel " + name_of(address) + " named " + name_of(*primary) +
                  " as the primary of " + sentinel.master_name + ", but it is not");
    }
    co_return std::move(found.opened);
  }
  throw error("no sentinel named the primary of " + sentinel.master_name + " (" + failures + ")");
}

asio::awaitable<std::vector<reply>> connection::exchange(
    const std::vector<std::vector<std::string>>& commands) {
  std::string bytes;
  for (const auto& command : commands) {
    append_command(bytes, command);
  }
  co_await write(bytes);
  std::vector<reply> replies;
  replies.reserve(commands.size());
  while (replies.size() < commands.size()) {
    replies.push_back(co_await read_reply());
  }
  co_return replies;
}

asio::awaitable<void> connection::write(const std::string& bytes) {
  auto [write_error, written] =
      secure_ ? co_await asio::async_write(*secure_, asio::buffer(bytes), use_tuple)
              : co_await asio::async_write(*plain_, asio::buffer(bytes), use_tuple);
  if (write_error) {
    throw error("redis connection lost: " + write_error.message());
  }
}

asio::awaitable<std::size_t> connection::read_some() {
  auto [read_error, received] =
      secure_ ? co_await secure_->async_read_some(asio::buffer(buffer_), use_tuple)
              : co_await plain_->async_read_some(asio::buffer(buffer_), use_tuple);
  if (read_error) {
    throw error("redis connection lost: " + read_error.message());
  }
  co_return received;
}

asio::awaitable<reply> connection::read_reply() {
  while (true) {
    if (auto next = reader_.next()) {
      co_return std::move(*next);
    }
    const auto received = co_await read_some();
    reader_.feed(buffer_.data(), received);
  }
}

}  // namespace gpt_adapter::redis
