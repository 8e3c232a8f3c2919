#include "common/http/outbound_client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/http/address_ranges.hpp"
#include "common/tls/client_context.hpp"

namespace gpt_adapter::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct outbound_client::connection {
  explicit connection(const net::any_io_executor& executor) : strand(net::make_strand(executor)) {}

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    boost::system::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  net::strand<net::any_io_executor> strand;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  steady::time_point idle_since{};
  bool reused = false;    // served a request before this one
  bool reusable = false;  // the last answer allows keeping the connection
  bool stale = false;     // the last failure looks like a kept-alive connection the peer closed
};

namespace {

constexpr std::uint32_t response_header_limit = 64 * 1024;

bool is_disconnect(const boost::system::error_code& error) {
  return error == net::error::eof || error == bhttp::error::end_of_stream ||
         error == net::error::connection_reset || error == net::error::broken_pipe ||
         error == net::error::connection_aborted || error == ssl::error::stream_truncated;
}

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

std::chrono::milliseconds remaining(steady::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()),
                  std::chrono::milliseconds{0});
}

}  // namespace

std::string origin_url::origin() const {
  const bool bracket = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (bracket ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

auth::value_or_error<origin_url, std::string> parse_origin_url(std::string_view url) {
  origin_url parsed;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::string("expected an absolute URL such as https://host:port/path");
  }
  const auto scheme = lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    parsed.tls = true;
    parsed.port = 443;
  } else if (scheme == "http") {
    parsed.port = 80;
  } else {
    return std::string("the scheme must be http or https");
  }
  auto rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  auto authority = rest.substr(0, path_start);
  auto path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    return std::string("credentials in the URL are not accepted; use the API key setting");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return std::string("the URL must not have a query or fragment");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::string("unterminated IPv6 address");
    }
    parsed.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::string("unexpected text after the IPv6 address");
      }
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    parsed.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (parsed.host.empty()) {
    return std::string("the URL has no host");
  }
  if (!port_text.empty()) {
    unsigned long port = 0;
    for (const char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
        return std::string("the port must be a number from 1 to 65535");
      }
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) {
      return std::string("the port must be a number from 1 to 65535");
    }
    parsed.port = static_cast<unsigned short>(port);
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  parsed.base_path = std::string(path);
  return parsed;
}

std::string_view to_string(transport_failure failure) {
  switch (failure) {
    case transport_failure::connect:
      return "connect";
    case transport_failure::timeout:
      return "timeout";
    case transport_failure::io:
      return "io";
    case transport_failure::protocol:
      return "protocol";
    case transport_failure::stopped:
      return "stopped";
  }
  return "unknown";
}

std::shared_ptr<outbound_client> outbound_client::create(net::any_io_executor executor,
                                                         origin_url target,
                                                         outbound_settings settings) {
  return std::shared_ptr<outbound_client>(
      new outbound_client(std::move(executor), std::move(target), std::move(settings)));
}

outbound_client::outbound_client(net::any_io_executor executor, origin_url target,
                                 outbound_settings settings)
    : executor_(std::move(executor)),
      strand_(net::make_strand(executor_)),
      target_(std::move(target)),
      settings_(std::move(settings)) {
  if (!target_.tls) {
    return;
  }
  tls_ = tls::make_client_context({.ca_file = settings_.ca_file});
}

outbound_client::~outbound_client() {
  for (auto& conn : idle_) {
    conn->close();
  }
}

std::size_t outbound_client::open_connections() const {
  return open_count_.load();
}
std::size_t outbound_client::idle_connections() const {
  return idle_count_.load();
}

void outbound_client::stop() {
  net::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    for (auto& conn : self->idle_) {
      conn->close();
    }
    self->open_ -= self->idle_.size();
    self->idle_.clear();
    self->open_count_ = self->open_;
    self->idle_count_ = 0;
    for (auto& waiter : self->waiting_) {
      waiter->cancel();
    }
    self->waiting_.clear();
  });
}

net::awaitable<outbound_client::slot> outbound_client::acquire(steady::time_point deadline) {
  while (true) {
    if (stopped_) {
      co_return slot{.error = transport_error{transport_failure::stopped, "the client is stopped"}};
    }
    if (steady::now() >= deadline) {
      co_return slot{.error = transport_error{transport_failure::timeout,
                                              "all " + std::to_string(settings_.max_connections) +
                                                  " connections to " + target_.origin() +
                                                  " stayed busy"}};
    }
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      idle_count_ = idle_.size();
      if (steady::now() - conn->idle_since < settings_.idle_timeout) {
        conn->reused = true;
        co_return slot{.idle = std::move(conn)};
      }
      conn->close();
      open_count_ = --open_;
    }
    if (open_ < settings_.max_connections) {
      open_count_ = ++open_;
      co_return slot{.open_new = true};
    }
    auto timer = std::make_shared<net::steady_timer>(strand_, deadline);
    waiting_.push_back(timer);
    co_await timer->async_wait(use_tuple);
    std::erase(waiting_, timer);
  }
}

void outbound_client::wake_one_waiter() {
  if (!waiting_.empty()) {
    waiting_.front()->cancel();
    waiting_.pop_front();
  }
}

void outbound_client::give_back(std::shared_ptr<connection> conn, bool reusable) {
  net::post(strand_, [self = shared_from_this(), conn = std::move(conn), reusable] {
    if (conn && reusable && !self->stopped_) {
      conn->idle_since = steady::now();
      self->idle_.push_back(conn);
      self->idle_count_ = self->idle_.size();
    } else {
      if (conn) {
        conn->close();
      }
      self->open_count_ = --self->open_;
    }
    self->wake_one_waiter();
  });
}

std::string outbound_client::host_header() const {
  const bool bracket = target_.host.find(':') != std::string::npos;
  std::string host = bracket ? "[" + target_.host + "]" : target_.host;
  if (target_.port != (target_.tls ? 443 : 80)) {
    host += ":" + std::to_string(target_.port);
  }
  return host;
}

net::awaitable<std::optional<transport_error>> outbound_client::connect(
    std::shared_ptr<connection> conn, steady::time_point deadline) {
  const auto connect_deadline = std::min(deadline, steady::now() + settings_.connect_timeout);
  auto resolver = std::make_shared<tcp::resolver>(conn->strand);
  net::steady_timer resolve_guard(conn->strand, connect_deadline);
  resolve_guard.async_wait([resolver](boost::system::error_code error) {
    if (!error) {
      resolver->cancel();
    }
  });
  auto [resolve_error, endpoints] =
      co_await resolver->async_resolve(target_.host, std::to_string(target_.port), use_tuple);
  resolve_guard.cancel();
  if (resolve_error) {
    co_return transport_error{resolve_error == net::error::operation_aborted
                                  ? transport_failure::timeout
                                  : transport_failure::connect,
                              "cannot resolve " + target_.host + ": " + resolve_error.message()};
  }
  if (settings_.public_addresses_only) {
    for (const auto& entry : endpoints) {
      if (!is_public_address(entry.endpoint().address())) {
        co_return transport_error{transport_failure::connect,
                                  target_.host + " resolves to a non-public address (" +
                                      entry.endpoint().address().to_string() + ")"};
      }
    }
  }

  if (target_.tls) {
    conn->secure.emplace(conn->strand, *tls_);
    if (!tls::expect_server_name(conn->secure->native_handle(), target_.host)) {
      co_return transport_error{transport_failure::connect, "cannot set the TLS server name"};
    }
  } else {
    conn->plain.emplace(conn->strand);
  }
  auto& stream = conn->tcp();
  stream.expires_after(remaining(connect_deadline));
  auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_error) {
    co_return transport_error{
        connect_error == beast::error::timeout ? transport_failure::timeout
                                               : transport_failure::connect,
        "cannot connect to " + target_.origin() + ": " + connect_error.message()};
  }
  stream.socket().set_option(tcp::no_delay(true));
  if (conn->secure) {
    auto [handshake_error] =
        co_await conn->secure->async_handshake(ssl::stream_base::client, use_tuple);
    if (handshake_error) {
      const auto reason =
          tls::handshake_failure_reason(conn->secure->native_handle(), handshake_error);
      co_return transport_error{handshake_error == beast::error::timeout
                                    ? transport_failure::timeout
                                    : transport_failure::connect,
                                "TLS handshake with " + target_.origin() + " failed: " + reason};
    }
  }
  stream.expires_never();
  co_return std::nullopt;
}

net::awaitable<std::optional<outbound_result>> outbound_client::exchange(
    std::shared_ptr<connection> conn, const outbound_request& request,
    steady::time_point deadline) {
  conn->stale = false;
  conn->reusable = false;
  bhttp::request<bhttp::string_body> message{request.method, target_.base_path + request.target,
                                             11};
  message.set(bhttp::field::host, host_header());
  message.set(bhttp::field::user_agent, "gpt-adapter/" GPT_ADAPTER_VERSION);
  for (const auto& [name, value] : request.headers) {
    message.set(name, value);
  }
  if (!request.body.empty() || !request.content_type.empty()) {
    message.set(bhttp::field::content_type, request.content_type);
    message.body() = request.body;
  }
  message.keep_alive(true);
  message.prepare_payload();

  auto& stream = conn->tcp();
  const auto failure = [&](const boost::system::error_code& error, const char* stage,
                           bool nothing_received) -> outbound_result {
    conn->stale = conn->reused && nothing_received && is_disconnect(error);
    const auto kind =
        error == beast::error::timeout ? transport_failure::timeout
        : error.category() == bhttp::make_error_code(bhttp::error::bad_version).category()
            ? transport_failure::protocol
            : transport_failure::io;
    return transport_error{
        kind, std::string(stage) + " " + target_.origin() + " failed: " + error.message()};
  };

  stream.expires_after(remaining(deadline));
  boost::system::error_code write_error;
  if (conn->secure) {
    std::tie(write_error, std::ignore) =
        co_await bhttp::async_write(*conn->secure, message, use_tuple);
  } else {
    std::tie(write_error, std::ignore) =
        co_await bhttp::async_write(*conn->plain, message, use_tuple);
  }
  if (write_error) {
    co_return failure(write_error, "writing to", true);
  }

  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(response_header_limit);
  parser.body_limit(settings_.response_body_limit);
  boost::system::error_code read_error;
  std::size_t received = 0;
  const auto buffered = conn->buffer.size();
  if (conn->secure) {
    std::tie(read_error, received) =
        co_await bhttp::async_read(*conn->secure, conn->buffer, parser, use_tuple);
  } else {
    std::tie(read_error, received) =
        co_await bhttp::async_read(*conn->plain, conn->buffer, parser, use_tuple);
  }
  if (read_error) {
    co_return failure(read_error, "reading from", received == 0 && buffered == 0);
  }
  stream.expires_never();
  auto answer = parser.release();
  conn->reusable = answer.keep_alive();
  outbound_response response;
  response.status = static_cast<int>(answer.result_int());
  response.body = std::move(answer.body());
  response.headers = std::move(answer.base());
  co_return outbound_result(std::move(response));
}

net::awaitable<outbound_result> outbound_client::send(outbound_request request) {
  auto self = shared_from_this();
  const auto deadline = steady::now() + request.timeout.value_or(settings_.request_timeout);
  // A kept-alive connection the server closed meanwhile fails before anything is received;
  // the request is then sent once more, on a fresh connection.
  for (int attempt = 0;; ++attempt) {
    auto granted = co_await net::co_spawn(strand_, acquire(deadline), net::use_awaitable);
    if (granted.error) {
      co_return *granted.error;
    }
    auto conn = std::move(granted.idle);
    if (!conn) {
      conn = std::make_shared<connection>(executor_);
      auto refused =
          co_await net::co_spawn(conn->strand, connect(conn, deadline), net::use_awaitable);
      if (refused) {
        give_back(nullptr, false);
        co_return *refused;
      }
    }
    auto result =
        co_await net::co_spawn(conn->strand, exchange(conn, request, deadline), net::use_awaitable);
    if (!result->ok() && conn->stale && attempt == 0 && steady::now() < deadline) {
      give_back(conn, false);
      continue;
    }
    give_back(conn, result->ok() && conn->reusable);
    co_return std::move(*result);
  }
}

}  // namespace gpt_adapter::http
