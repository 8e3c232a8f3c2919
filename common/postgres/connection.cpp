#include "common/postgres/connection.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <system_error>
#include <thread>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>
#include <openssl/ssl.h>

#include "common/logging/logger.hpp"
#include "common/postgres/error.hpp"

namespace gpt_adapter::postgres {

namespace {

namespace asio = boost::asio;

// PQcancel blocks while it opens a connection to the server, so each runs on a short-lived
// thread of its own; when the server hangs, a bounded number of them may pile up.
constexpr int max_cancels_in_flight = 4;
std::atomic<int> cancels_in_flight{0};

// The SQLSTATE of query_canceled, used for client-side timeouts as for server-side ones.
const std::string query_canceled_sqlstate = "57014";

bool socket_ready(int fd, asio::posix::stream_descriptor::wait_type type) {
  pollfd entry{};
  entry.fd = fd;
  entry.events = type == asio::posix::stream_descriptor::wait_read ? POLLIN : POLLOUT;
  return ::poll(&entry, 1, 0) > 0;
}

// OpenSSL decrypts whole TLS records: when libpq asked for less than a record held, the rest
// waits inside OpenSSL where poll() cannot see it, and must be read without waiting.
bool tls_bytes_pending(PGconn* handle) {
  if (PQsslInUse(handle) == 0) {
    return false;
  }
  auto* tls = static_cast<SSL*>(PQsslStruct(handle, "OpenSSL"));
  return tls != nullptr && SSL_pending(tls) > 0;
}

// libpq's messages end in newlines and may continue on tab-indented lines.
std::string one_line(const std::string& text) {
  std::string line;
  for (const char c : text) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (!space) {
      line += c;
    } else if (!line.empty() && line.back() != ' ') {
      line += ' ';
    }
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  return line;
}

// Server notices (RAISE NOTICE, "... does not exist, skipping", the FATAL message a server sends
// to idle sessions before shutting down) go to the log instead of libpq's default, stderr.
void log_notice(void*, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
  const char* sqlstate = PQresultErrorField(notice, PG_DIAG_SQLSTATE);
  const std::string level = severity != nullptr ? severity : "NOTICE";
  const logging::fields fields{{"severity", level},
                               {"sqlstate", sqlstate != nullptr ? sqlstate : ""},
                               {"detail", message != nullptr ? message : ""}};
  if (level == "WARNING" || level == "FATAL" || level == "PANIC") {
    logging::warn("postgres server message", fields);
  } else {
    logging::debug("postgres server message", fields);
  }
}

}  // namespace

connection::connection(asio::any_io_executor executor)
    : strand_(asio::make_strand(executor)),
      socket_(strand_),
      deadline_(strand_),
      resolver_(strand_) {}

connection::~connection() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  if (handle_ != nullptr) {
    PQfinish(handle_);
  }
}

asio::awaitable<void> connection::open(conninfo_settings settings,
                                       std::chrono::milliseconds timeout) {
  co_await asio::co_spawn(strand_, run_open(std::move(settings), timeout), asio::use_awaitable);
}

asio::awaitable<result> connection::execute(std::string sql, std::vector<param> params,
                                            std::optional<std::chrono::milliseconds> timeout) {
  auto outcome = co_await asio::co_spawn(
      strand_, run_execute(std::move(sql), std::move(params), timeout), asio::use_awaitable);
  co_return std::move(*outcome);
}

void connection::abort() {
  asio::post(strand_, [self = shared_from_this()] {
    self->aborted_ = true;
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
    self->resolver_.cancel();
  });
}

asio::awaitable<void> connection::run_open(conninfo_settings settings,
                                           std::chrono::milliseconds timeout) {
  const auto self = shared_from_this();
  target_ = describe_target(settings);
  timeout_ = timeout;
  arm_deadline(timeout, false);
  struct deadline_guard {
    connection& owner;
    ~deadline_guard() { owner.disarm_deadline(); }
  } guard{*this};

  settings = co_await resolve_hosts(std::move(settings));
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  handle_ = PQconnectStartParams(keywords.data(), values.data(), 0);
  if (handle_ == nullptr) {
    fail_connection("libpq could not allocate a connection");
  }
  PQsetNoticeReceiver(handle_, &log_notice, nullptr);
  if (PQstatus(handle_) == CONNECTION_BAD) {
    fail_connection(PQerrorMessage(handle_));
  }
  // libpq's protocol: behave as if PQconnectPoll had asked for writability, then do as it says.
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      fail_connection(PQerrorMessage(handle_));
    }
    // libpq may have moved to another socket (the next address or host): watch the current one.
    watch_socket();
    co_await wait_ready(status == PGRES_POLLING_READING ? socket_.wait_read : socket_.wait_write);
    throw_if_interrupted("connecting");
    status = PQconnectPoll(handle_);
  }
  if (PQsetnonblocking(handle_, 1) != 0) {
    fail_connection(PQerrorMessage(handle_));
  }
  watch_socket();
}

asio::awaitable<conninfo_settings> connection::resolve_hosts(conninfo_settings settings) {
  const auto names = hosts_to_resolve(settings);
  if (names.empty()) {
    co_return settings;
  }
  std::map<std::string, std::vector<std::string>> addresses;
  for (const auto& name : names) {
    auto [ec, endpoints] =
        co_await resolver_.async_resolve(name, "5432", asio::ip::tcp::resolver::numeric_service,
                                         asio::as_tuple(asio::use_awaitable));
    throw_if_interrupted("looking up the database host");
    if (ec) {
      fail_connection("cannot resolve " + name + ": " + ec.message());
    }
    auto& found = addresses[name];
    for (const auto& entry : endpoints) {
      const auto address = entry.endpoint().address().to_string();
      if (std::find(found.begin(), found.end(), address) == found.end()) {
        found.push_back(address);
      }
    }
  }
  co_return with_resolved_addresses(settings, addresses);
}

asio::awaitable<std::optional<result>> connection::run_execute(
    std::string sql, std::vector<param> params, std::optional<std::chrono::milliseconds> timeout) {
  const auto self = shared_from_this();
  failed_before_sending_ = true;
  if (broken_ || handle_ == nullptr) {
    throw error("the database connection is broken");
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& value : params) {
    if (value && value->find('\0') != std::string::npos) {
      // Sent as C strings, text would be cut at the NUL; PostgreSQL text cannot hold one.
      throw error("a query parameter contains a NUL character", "22021");
    }
    values.push_back(value ? value->c_str() : nullptr);
  }

  busy_ = true;
  timed_out_ = false;
  aborted_ = false;
  if (timeout) {
    timeout_ = *timeout;
    arm_deadline(*timeout, true);
  }
  struct operation_guard {
    connection& owner;
    ~operation_guard() {
      owner.disarm_deadline();
      owner.transaction_idle_ =
          owner.handle_ != nullptr && PQtransactionStatus(owner.handle_) == PQTRANS_IDLE;
      owner.busy_ = false;
    }
  } guard{*this};

  if (PQsendQueryParams(handle_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    if (PQstatus(handle_) != CONNECTION_OK) {
      fail_connection(PQerrorMessage(handle_));
    }
    throw error(one_line(PQerrorMessage(handle_)));
  }
  // Until Sync has left, the server cannot have committed anything: a failure up to here
  // leaves the statement unexecuted.
  while (true) {
    const int flushed = PQflush(handle_);
    if (flushed == 0) {
      break;
    }
    if (flushed < 0) {
      fail_connection(PQerrorMessage(handle_));
    }
    co_await wait_ready(socket_.wait_write);
    throw_if_interrupted("sending a query");
    if (PQconsumeInput(handle_) == 0) {
      fail_connection(PQerrorMessage(handle_));
    }
  }
  failed_before_sending_ = false;

  std::optional<result> outcome;
  std::optional<error> failure;
  while (true) {
    if (PQconsumeInput(handle_) == 0) {
      fail_connection(PQerrorMessage(handle_));
    }
    bool complete = false;
    while (!complete && PQisBusy(handle_) == 0) {
      PGresult* raw = PQgetResult(handle_);
      if (raw == nullptr) {
        complete = true;
        break;
      }
      result current(raw);
      switch (PQresultStatus(raw)) {
        case PGRES_FATAL_ERROR:
        case PGRES_NONFATAL_ERROR:
        case PGRES_BAD_RESPONSE:
          if (!failure) {
            failure = error::from_result(raw);
          }
          break;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
          fail_connection("COPY is not supported by this client");
        default:
          outcome.emplace(std::move(current));
      }
    }
    if (complete) {
      break;
    }
    if (tls_bytes_pending(handle_)) {
      continue;
    }
    co_await wait_ready(socket_.wait_read);
    throw_if_interrupted("waiting for a query result");
  }
  if (PQstatus(handle_) != CONNECTION_OK) {
    broken_ = true;
  }
  if (failure) {
    if (is_connection_failure(failure->sqlstate())) {
      broken_ = true;
    }
    throw *failure;
  }
  if (!outcome) {
    throw error("the server returned no result");
  }
  co_return outcome;
}

bool connection::check_idle() {
  if (broken_ || handle_ == nullptr) {
    return false;
  }
  // A healthy idle session has nothing to read. Something to read means a notice, or the
  // FATAL message and end of stream that a server sends to its sessions before it goes away.
  for (int round = 0; round < 16; ++round) {
    const int fd = PQsocket(handle_);
    if (PQstatus(handle_) != CONNECTION_OK || fd < 0) {
      broken_ = true;
      return false;
    }
    if (!socket_ready(fd, socket_.wait_read)) {
      return true;
    }
    if (PQconsumeInput(handle_) == 0) {
      broken_ = true;
      return false;
    }
  }
  return PQstatus(handle_) == CONNECTION_OK;
}

asio::awaitable<void> connection::wait_ready(wait_type type) {
  if (timed_out_ || aborted_) {
    co_return;
  }
  const auto token = asio::as_tuple(asio::use_awaitable);
  const auto [ec] = co_await asio::async_initiate<decltype(token), void(boost::system::error_code)>(
      [this](auto handler, wait_type wanted) {
        socket_.async_wait(wanted, std::move(handler));
        // Asio's epoll reactor is edge-triggered and does not try a wait speculatively:
        // readiness that arrived before the wait was queued would never complete it. Now that
        // it is queued, look once more, and complete it at once if the socket is ready.
        if (socket_ready(socket_.native_handle(), wanted)) {
          boost::system::error_code ignored;
          socket_.cancel(ignored);
        }
      },
      token, type);
  if (ec && ec != asio::error::operation_aborted) {
    fail_connection(ec.message());
  }
}

void connection::watch_socket() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  const int fd = PQsocket(handle_);
  if (fd < 0) {
    fail_connection("libpq has no socket");
  }
  const int duplicate = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (duplicate < 0) {
    fail_connection(std::string("dup: ") + std::strerror(errno));
  }
  boost::system::error_code ec;
  socket_.assign(duplicate, ec);
  if (ec) {
    ::close(duplicate);
    fail_connection("watching the socket: " + ec.message());
  }
}

void connection::arm_deadline(std::chrono::milliseconds timeout, bool cancel_query) {
  timed_out_ = false;
  const unsigned generation = ++deadline_generation_;
  deadline_.expires_after(timeout);
  deadline_.async_wait(
      [self = shared_from_this(), generation, cancel_query](boost::system::error_code ec) {
        if (ec || generation != self->deadline_generation_) {
          return;
        }
        self->timed_out_ = true;
        if (cancel_query) {
          self->request_cancel();
        }
        boost::system::error_code ignored;
        self->socket_.cancel(ignored);
        self->resolver_.cancel();
      });
}

void connection::disarm_deadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

void connection::throw_if_interrupted(const char* during) {
  if (aborted_) {
    broken_ = true;
    throw error(std::string("aborted while ") + during);
  }
  if (!timed_out_) {
    return;
  }
  broken_ = true;
  if (busy_) {
    throw error("query exceeded the client-side timeout of " + std::to_string(timeout_.count()) +
                    " ms; the server was asked to cancel it and the connection was dropped",
                query_canceled_sqlstate);
  }
  throw error(std::string(during) + " " + target_ + " took longer than " +
              std::to_string(timeout_.count()) + " ms");
}

void connection::fail_connection(const std::string& message) {
  broken_ = true;
  throw error(target_.empty() ? one_line(message) : target_ + ": " + one_line(message));
}

void connection::request_cancel() {
  if (handle_ == nullptr) {
    return;
  }
  if (cancels_in_flight.fetch_add(1) >= max_cancels_in_flight) {
    --cancels_in_flight;
    logging::warn("postgres query timed out; too many cancel requests pending to send another",
                  {{"target", target_}});
    return;
  }
  PGcancel* cancel = PQgetCancel(handle_);
  if (cancel == nullptr) {
    --cancels_in_flight;
    return;
  }
  logging::info("postgres query timed out; asking the server to cancel it",
                {{"target", target_}, {"timeout_ms", timeout_.count()}});
  try {
    std::thread([cancel] {
      std::array<char, 256> message{};
      PQcancel(cancel, message.data(), static_cast<int>(message.size()));
      PQfreeCancel(cancel);
      --cancels_in_flight;
    }).detach();
  } catch (const std::system_error&) {
    PQfreeCancel(cancel);
    --cancels_in_flight;
  }
}

}  // namespace gpt_adapter::postgres
