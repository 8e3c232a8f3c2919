#include "common/http/server.hpp"

#include <system_error>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/http/cors.hpp"
#include "common/http/request_id.hpp"
#include "common/logging/logger.hpp"

namespace gpt_adapter::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct server::connection {
  using tls_stream = beast::ssl_stream<beast::tcp_stream>;

  connection(tcp::socket socket, std::shared_ptr<net::ssl::context> tls_context)
      : tls_context(std::move(tls_context)), stream(make_stream(std::move(socket))) {}

  // Kept for the connection's life: a certificate reload swaps the server's context, not this.
  std::shared_ptr<net::ssl::context> tls_context;
  std::variant<beast::tcp_stream, tls_stream> stream;
  // Emitted at the drain deadline: cancels whatever the connection's coroutine awaits.
  net::cancellation_signal cancel;
  bool busy = false;  // a request is being read, handled or answered; touched on the strand only

  tcp::socket& socket() {
    return std::visit([](auto& s) -> tcp::socket& { return beast::get_lowest_layer(s).socket(); },
                      stream);
  }
  net::any_io_executor executor() {
    return std::visit([](auto& s) { return net::any_io_executor(s.get_executor()); }, stream);
  }

 private:
  std::variant<beast::tcp_stream, tls_stream> make_stream(tcp::socket socket) {
    if (tls_context) {
      return std::variant<beast::tcp_stream, tls_stream>(
          std::in_place_index<1>, beast::tcp_stream(std::move(socket)), *tls_context);
    }
    return std::variant<beast::tcp_stream, tls_stream>(std::in_place_index<0>, std::move(socket));
  }
};

namespace {

bool is_quiet_disconnect(const boost::system::error_code& error) {
  return error == bhttp::error::end_of_stream || error == net::error::operation_aborted ||
         error == beast::error::timeout || error == net::error::connection_reset ||
         error == net::error::eof || error == net::error::bad_descriptor ||
         error == net::error::broken_pipe;
}

std::string allow_header(const std::vector<verb>& methods) {
  std::string value;
  for (const auto method : methods) {
    value += value.empty() ? "" : ", ";
    value += std::string(bhttp::to_string(method));
  }
  return value;
}

// The caller's X-Request-ID when it is acceptable, else a fresh one.
std::string request_id_of(const request& message) {
  const auto caller_id = message["X-Request-ID"];
  return is_acceptable_request_id(caller_id) ? std::string(caller_id) : generate_request_id();
}

// The Origin of a request whose header was refused before it was parsed whole: among the fields
// the parser got through, or else among the buffered bytes it had not reached.
std::string_view unparsed_origin(const request& partial, const beast::flat_buffer& buffer) {
  if (const auto origin = partial[bhttp::field::origin]; !origin.empty()) {
    return origin;
  }
  return origin_in_header_lines(
      std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) {
    return {target, {}};
  }
  return {target.substr(0, question), target.substr(question + 1)};
}

}  // namespace

server::server(net::io_context& context, config::http_listener_settings settings,
               std::shared_ptr<const router> routes, metrics::registry& metrics,
               std::shared_ptr<const tls_credentials> tls)
    : server(std::vector<net::io_context*>{&context}, true, std::move(settings), std::move(routes),
             metrics, std::move(tls)) {}

server::server(std::vector<net::io_context*> contexts, config::http_listener_settings settings,
               std::shared_ptr<const router> routes, metrics::registry& metrics,
               std::shared_ptr<const tls_credentials> tls)
    : server(std::move(contexts), false, std::move(settings), std::move(routes), metrics,
             std::move(tls)) {}

server::server(std::vector<net::io_context*> contexts, bool strand_per_connection,
               config::http_listener_settings settings, std::shared_ptr<const router> routes,
               metrics::registry& metrics, std::shared_ptr<const tls_credentials> tls)
    : contexts_(std::move(contexts)),
      strand_per_connection_(strand_per_connection),
      settings_(std::move(settings)),
      routes_(std::move(routes)),
      tls_(std::move(tls)),
      acceptor_(net::make_strand(*contexts_.at(0))),
      drain_deadline_(acceptor_.get_executor()),
      requests_total_(metrics.add_counter("gpt_adapter_http_requests_total",
                                          "HTTP requests answered, by method, route and status.",
                                          {"method", "route", "status"})),
      request_duration_(metrics.add_histogram(
          "gpt_adapter_http_request_duration_seconds",
          "Time from a complete request to its response, by method and route.",
          {"method", "route"})),
      requests_in_flight_(
          metrics
              .add_gauge("gpt_adapter_http_requests_in_flight", "HTTP requests being handled now.")
              .get()),
      connections_open_(
          metrics.add_gauge("gpt_adapter_http_connections_open", "Open HTTP client connections.")
              .get()) {}

server::~server() = default;

void server::start() {
  const tcp::endpoint endpoint(net::ip::make_address(settings_.host), settings_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(acceptor_.get_executor(), accept_loop(), net::detached);
}

net::awaitable<void> server::accept_loop() {
  auto self = shared_from_this();
  while (!draining_) {
    auto& serving = *contexts_[next_context_++ % contexts_.size()];
    const auto executor = strand_per_connection_ ? net::any_io_executor(net::make_strand(serving))
                                                 : net::any_io_executor(serving.get_executor());
    auto [error, socket] = co_await acceptor_.async_accept(executor, use_tuple);
    if (error) {
      if (error == net::error::operation_aborted || draining_) {
        break;
      }
      // Out of descriptors or a reset before accept: keep serving the others.
      logging::warn("http accept failed", {{"error", error.message()}});
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    auto conn = std::make_shared<connection>(std::move(socket), tls_ ? tls_->current() : nullptr);
    {
      std::lock_guard lock(connections_mutex_);
      connections_.insert(conn);
    }
    connections_open_.inc();
    net::co_spawn(conn->executor(), serve(conn),
                  net::bind_cancellation_slot(conn->cancel.slot(), net::detached));
  }
}

net::awaitable<void> server::serve(std::shared_ptr<connection> conn) {
  auto self = shared_from_this();
  boost::system::error_code ignored;
  if (auto* tls = std::get_if<connection::tls_stream>(&conn->stream)) {
    beast::get_lowest_layer(*tls).expires_after(settings_.read_timeout);
    auto [handshake_error] =
        co_await tls->async_handshake(net::ssl::stream_base::server, use_tuple);
    if (!handshake_error) {
      co_await serve_requests(conn, *tls);
      // close_notify, bounded: a client that vanished must not hold the connection.
      beast::get_lowest_layer(*tls).expires_after(std::chrono::seconds(1));
      co_await tls->async_shutdown(use_tuple);
    }
  } else {
    co_await serve_requests(conn, std::get<beast::tcp_stream>(conn->stream));
  }
  conn->socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn->socket().close(ignored);
  forget(conn);
}

template <typename Stream>
net::awaitable<void> server::serve_requests(std::shared_ptr<connection> conn, Stream& stream) {
  beast::flat_buffer buffer;
  boost::system::error_code ignored;
  const auto remote = conn->socket().remote_endpoint(ignored).address();
  while (!draining_) {
    request_parser_type parser;
    parser.header_limit(static_cast<std::uint32_t>(settings_.header_limit));
    parser.body_limit(settings_.body_limit);
    beast::get_lowest_layer(stream).expires_after(settings_.read_timeout);
    auto [header_error, header_bytes] =
        co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (!co_await serve_one(*conn, stream, buffer, parser, header_error, remote)) {
      break;
    }
  }
}

template <typename Stream>
net::awaitable<bool> server::serve_one(connection& conn, Stream& stream, beast::flat_buffer& buffer,
                                       request_parser_type& parser,
                                       boost::system::error_code header_error,
                                       const net::ip::address& remote) {
  const auto expire_after = [&](std::chrono::milliseconds timeout) {
    beast::get_lowest_layer(stream).expires_after(timeout);
  };

  // Every answer leaves through here, routed or refused before routing: each carries its
  // request id, says whether the connection stays open and, to an allowed origin, is readable.
  auto send = [&](response& answer, std::string_view origin, const std::string& request_id,
                  unsigned version, bool keep_alive) -> net::awaitable<bool> {
    if (const auto* cors = routes_->cors()) {
      cors->decorate(origin, answer);
    }
    answer.version(version);
    answer.set("X-Request-ID", request_id);
    answer.keep_alive(keep_alive);
    if (!answer.has_content_length() && !answer.chunked()) {
      answer.prepare_payload();
    }
    expire_after(settings_.read_timeout);
    auto [write_error, written] = co_await bhttp::async_write(stream, answer, use_tuple);
    co_return !write_error;
  };

  // Answers a request that could not be read completely; the connection closes after it.
  // `partial` holds what the parser got through: the request line and the fields before the
  // failure, or the whole header.
  auto refuse = [&](const request& partial, std::string_view origin, bhttp::status status,
                    std::string detail) -> net::awaitable<bool> {
    const auto request_id = request_id_of(partial);
    auto answer = make_problem_response(problem{.status = status, .detail = std::move(detail)}, "",
                                        request_id, partial.version());
    co_await send(answer, origin, request_id, partial.version(), false);
    co_return false;
  };

  if (header_error) {
    const auto& partial = parser.get();
    if (header_error == bhttp::error::body_limit) {
      // The parser checks a declared Content-Length against the limit with the headers, once
      // it has read them all.
      co_return co_await refuse(
          partial, partial[bhttp::field::origin], bhttp::status::payload_too_large,
          "Request body exceeds " + std::to_string(settings_.body_limit) + " bytes.");
    }
    if (header_error == bhttp::error::header_limit) {
      co_return co_await refuse(
          partial, unparsed_origin(partial, buffer), bhttp::status::request_header_fields_too_large,
          "Request headers exceed " + std::to_string(settings_.header_limit) + " bytes.");
    }
    if (!is_quiet_disconnect(header_error) &&
        header_error.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      co_return co_await refuse(partial, unparsed_origin(partial, buffer),
                                bhttp::status::bad_request, "The request is not valid HTTP/1.1.");
    }
    co_return false;
  }
  conn.busy = true;
  const auto& header = parser.get();
  if (const auto length = parser.content_length(); length && *length > settings_.body_limit) {
    co_return co_await refuse(
        header, header[bhttp::field::origin], bhttp::status::payload_too_large,
        "Request body exceeds " + std::to_string(settings_.body_limit) + " bytes.");
  }
  if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, header.version()};
    co_await bhttp::async_write(stream, go_on, use_tuple);
  }
  if (!parser.is_done()) {
    expire_after(settings_.read_timeout);
    auto [body_error, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    if (body_error == bhttp::error::body_limit) {
      co_return co_await refuse(
          header, header[bhttp::field::origin], bhttp::status::payload_too_large,
          "Request body exceeds " + std::to_string(settings_.body_limit) + " bytes.");
    }
    if (body_error) {
      co_return false;
    }
  }
  request message = parser.release();
  const auto request_id = request_id_of(message);

  requests_in_flight_.inc();
  response answer = co_await dispatch(message, request_id, remote);
  requests_in_flight_.dec();

  const bool keep_alive = message.keep_alive() && !draining_;
  const bool written = co_await send(answer, message[bhttp::field::origin], request_id,
                                     message.version(), keep_alive);
  conn.busy = false;
  co_return written&& keep_alive;
}

net::awaitable<response> server::dispatch(request& message, const std::string& request_id,
                                          const net::ip::address& remote) {
  const auto [path, query] = split_target(message.target());
  auto match = routes_->find(message.method(), path);
  const std::string method(bhttp::to_string(message.method()));
  const auto started = std::chrono::steady_clock::now();
  std::string route_label = match.found != nullptr ? match.found->pattern : "unmatched";

  response answer;
  const auto* cors = routes_->cors();
  if (match.found == nullptr && cors != nullptr &&
      cors->answer_preflight(message, match.allowed, answer)) {
    route_label = "preflight";
  } else if (match.found == nullptr) {
    problem details;
    if (match.allowed.empty()) {
      details.status = bhttp::status::not_found;
      details.detail = "No resource at " + std::string(path) + ".";
    } else {
      details.status = bhttp::status::method_not_allowed;
      details.detail = method + " is not supported here.";
      details.headers.emplace_back("Allow", allow_header(match.allowed));
    }
    answer = make_problem_response(details, path, request_id, message.version());
  } else {
    request_context context{message, request_id, path, query, std::move(match.path_params), remote};
    std::exception_ptr failure;
    try {
      answer = co_await match.found->handle(context);
    } catch (const problem_error& refused) {
      answer = make_problem_response(refused.details(), path, request_id, message.version());
    } catch (const std::exception& unexpected) {
      failure = std::current_exception();
      logging::error(
          "request failed",
          {{"request_id", request_id}, {"route", route_label}, {"error", unexpected.what()}});
    }
    if (failure) {
      answer = make_problem_response(
          problem{.status = bhttp::status::internal_server_error,
                  .detail = "The server could not complete the request. Quote the request id "
                            "when reporting this."},
          path, request_id, message.version());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  requests_total_.labels({method, route_label, std::to_string(answer.result_int())}).inc();
  request_duration_.labels({method, route_label}).observe(seconds);
  if (logging::enabled(spdlog::level::debug)) {
    logging::debug("request", {{"request_id", request_id},
                               {"method", method},
                               {"route", route_label},
                               {"status", answer.result_int()},
                               {"duration_ms", seconds * 1000.0}});
  }
  co_return answer;
}

void server::forget(const std::shared_ptr<connection>& conn) {
  std::function<void()> drained;
  {
    std::lock_guard lock(connections_mutex_);
    connections_.erase(conn);
    if (draining_ && connections_.empty() && on_drained_) {
      drained = std::exchange(on_drained_, nullptr);
    }
  }
  connections_open_.dec();
  if (drained) {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      self->drained_ = true;
      self->drain_deadline_.cancel();
    });
    drained();
  }
}

void server::close_idle_connections(bool force) {
  std::lock_guard lock(connections_mutex_);
  for (const auto& conn : connections_) {
    net::post(conn->executor(), [conn, force] {
      if (force) {
        conn->cancel.emit(net::cancellation_type::terminal);
      }
      if (force || !conn->busy) {
        boost::system::error_code ignored;
        conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
        conn->socket().close(ignored);
      }
    });
  }
}

void server::shutdown(std::chrono::milliseconds deadline, std::function<void()> on_drained) {
  if (draining_.exchange(true)) {
    return;
  }
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
  {
    std::lock_guard lock(connections_mutex_);
    if (connections_.empty()) {
      net::post(acceptor_.get_executor(), std::move(on_drained));
      return;
    }
    on_drained_ = std::move(on_drained);
  }
  close_idle_connections(false);
  net::post(acceptor_.get_executor(), [self = shared_from_this(), deadline] {
    if (self->drained_) {
      return;
    }
    self->drain_deadline_.expires_after(deadline);
    self->drain_deadline_.async_wait([self](boost::system::error_code error) {
      if (!error) {
        logging::warn("drain deadline passed, closing remaining connections",
                      {{"connections", self->open_connections()}});
        self->close_idle_connections(true);
        // Handlers still running (waiting on a dependency, say) do not hold the exit: what they
        // await is cancelled, their connections are closed, and the owner may stop the
        // dependencies now so that nothing else is left waiting.
        std::function<void()> drained;
        {
          std::lock_guard lock(self->connections_mutex_);
          drained = std::exchange(self->on_drained_, nullptr);
        }
        if (drained) {
          drained();
        }
      }
    });
  });
}

std::size_t server::open_connections() const {
  std::lock_guard lock(connections_mutex_);
  return connections_.size();
}

}  // namespace gpt_adapter::http
