#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/postgres/conninfo.hpp"
#include "common/postgres/result.hpp"

struct pg_conn;

namespace gpt_adapter::postgres {

// One libpq connection driven without blocking: libpq in non-blocking mode, Asio waiting for
// socket readiness. All libpq calls and all I/O objects of a connection run on its own strand,
// so a connection may be used from coroutines on any thread, one operation at a time.
//
// The socket is watched through a dup() of libpq's descriptor, never libpq's own: libpq closes
// its descriptor whenever it likes (a lost connection, the next address while connecting), and
// a descriptor number Asio still had registered could by then belong to another socket. The
// duplicate is ours to close; libpq closes the original in PQfinish.
class connection : public std::enable_shared_from_this<connection> {
 public:
  explicit connection(boost::asio::any_io_executor executor);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Connects within `timeout`, looking host names up asynchronously first. Throws
  // postgres::error (with an empty sqlstate) on failure or when abort() is called.
  boost::asio::awaitable<void> open(conninfo_settings settings, std::chrono::milliseconds timeout);

  // Runs one statement through PQsendQueryParams. Without a timeout the query may run for as
  // long as the server lets it. When the timeout passes, the server is asked to cancel the
  // statement (PQcancel) and the connection is dropped: it becomes broken and must be discarded.
  boost::asio::awaitable<result> execute(std::string sql, std::vector<param> params,
                                         std::optional<std::chrono::milliseconds> timeout);

  // For an idle connection (no operation running): false when the server has closed it or is
  // closing it, found without sending anything, so a caller can take another connection
  // instead of failing a query. Must not run concurrently with open() or execute().
  bool check_idle();

  // Ends an operation in progress (open or execute) as soon as possible; thread-safe.
  void abort();

  bool broken() const { return broken_; }
  // Whether the last failed execute() failed before any of its statement reached the server,
  // so running it elsewhere cannot run it twice.
  bool failed_before_sending() const { return failed_before_sending_; }
  // Healthy, no operation running and no transaction left open: fit to serve someone else.
  bool reusable() const { return !broken_ && !busy_ && transaction_idle_; }

 private:
  using wait_type = boost::asio::posix::stream_descriptor::wait_type;

  boost::asio::awaitable<void> run_open(conninfo_settings settings,
                                        std::chrono::milliseconds timeout);
  // std::optional only because co_spawn needs a default-constructible result type.
  boost::asio::awaitable<std::optional<result>> run_execute(
      std::string sql, std::vector<param> params, std::optional<std::chrono::milliseconds> timeout);
  boost::asio::awaitable<conninfo_settings> resolve_hosts(conninfo_settings settings);
  boost::asio::awaitable<void> wait_ready(wait_type type);
  void watch_socket();
  void arm_deadline(std::chrono::milliseconds timeout, bool cancel_query);
  void disarm_deadline();
  void throw_if_interrupted(const char* during);
  [[noreturn]] void fail_connection(const std::string& message);
  void request_cancel();

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer deadline_;
  boost::asio::ip::tcp::resolver resolver_;
  pg_conn* handle_ = nullptr;
  std::string target_;
  std::chrono::milliseconds timeout_{0};
  unsigned deadline_generation_ = 0;
  bool timed_out_ = false;
  bool aborted_ = false;
  std::atomic<bool> broken_{false};
  std::atomic<bool> busy_{false};
  std::atomic<bool> transaction_idle_{true};
  std::atomic<bool> failed_before_sending_{false};
};

}  // namespace gpt_adapter::postgres
