#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/postgres/conninfo.hpp"
#include "common/postgres/error.hpp"
#include "common/postgres/result.hpp"

// The one way this project talks to PostgreSQL: a pool of non-blocking libpq connections on
// Boost.Asio. No call blocks an I/O thread on the database; every statement is parameterised.
namespace gpt_adapter::postgres {

class connection;
class pool;

struct pool_options {
  std::string conninfo;  // URL or key=value string, as libpq accepts
  std::size_t min_size = 5;
  std::size_t max_size = 20;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
  // Client-side: when exceeded, the server is asked to cancel the statement (PQcancel), the
  // connection is dropped and the query fails with sqlstate 57014.
  std::chrono::milliseconds query_timeout{30000};
};

// Exclusive use of one pooled connection, for statements that must share a session
// (transactions, session locks). Move-only. On destruction the connection goes back to the
// pool, or is closed if it is broken, still running a query, or left inside a transaction.
class connection_lease {
 public:
  connection_lease(connection_lease&& other) noexcept = default;
  connection_lease& operator=(connection_lease&& other) noexcept;
  connection_lease(const connection_lease&) = delete;
  connection_lease& operator=(const connection_lease&) = delete;
  ~connection_lease();

  // With the pool's query_timeout.
  boost::asio::awaitable<result> query(std::string_view sql, std::vector<param> params = {});
  // With an explicit client-side timeout; std::nullopt for none (migrations, lock waits).
  boost::asio::awaitable<result> query(std::string_view sql, std::vector<param> params,
                                       std::optional<std::chrono::milliseconds> timeout);
  // Closes the connection on release instead of reusing it: for session state that must not
  // reach the next user, when it could not be cleaned up.
  void discard() noexcept;

 private:
  friend class pool;
  connection_lease(std::shared_ptr<pool> owner, std::shared_ptr<connection> leased);
  void release() noexcept;

  std::shared_ptr<pool> pool_;
  std::shared_ptr<connection> connection_;
  bool discard_ = false;
};

class pool : public std::enable_shared_from_this<pool> {
  struct private_tag {};

 public:
  // Throws postgres::error if the connection string cannot be parsed, std::invalid_argument for
  // impossible sizes. Nothing connects before start() or the first query.
  static std::shared_ptr<pool> create(boost::asio::any_io_executor executor, pool_options options);
  pool(private_tag, boost::asio::any_io_executor executor, pool_options options);
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  // Opens min_size connections in the background and keeps that many open; failures are
  // logged and retried with backoff, never fatal.
  void start();
  // Closes idle connections, fails waiting acquires and stops reconnecting; leased connections
  // are closed when returned. Asynchronous: returns before all of that has happened.
  void stop();

  // One statement on any connection. If the connection turns out to be dead before the
  // statement reached the server (the database restarted since it was last used), the query
  // runs once more on a fresh connection.
  boost::asio::awaitable<result> query(std::string_view sql, std::vector<param> params = {});
  // Waits up to acquire_timeout for a connection; throws postgres::error when none comes.
  boost::asio::awaitable<connection_lease> acquire();
  // BEGIN, the body, COMMIT; ROLLBACK and rethrow when the body throws. Throws with sqlstate
  // 25P02 if COMMIT found the transaction aborted (a failed statement whose error the body
  // swallowed).
  boost::asio::awaitable<void> transaction(
      std::function<boost::asio::awaitable<void>(connection_lease&)> body);
  // A transaction scoped to one application for row-level security: it starts with
  // SELECT set_config('app.application_id', $1, true).
  boost::asio::awaitable<void> application_transaction(
      std::string application_id,
      std::function<boost::asio::awaitable<void>(connection_lease&)> body);
  // SELECT 1 within `timeout`, connecting if need be; false on any failure. For readiness.
  boost::asio::awaitable<bool> ping(std::chrono::milliseconds timeout);

  struct stats {
    std::size_t total;    // open connections plus those being opened
    std::size_t idle;     // open and free
    std::size_t in_use;   // leased
    std::size_t waiting;  // acquires waiting for a connection
  };
  stats statistics() const;

  const pool_options& options() const { return options_; }

 private:
  friend class connection_lease;
  struct waiter;
  using clock = std::chrono::steady_clock;

  boost::asio::awaitable<std::shared_ptr<connection>> acquire_until(clock::time_point deadline);
  boost::asio::awaitable<std::shared_ptr<connection>> take_or_wait(clock::time_point deadline);
  void give_back(std::shared_ptr<connection> returned, bool reusable);
  void hand_out(std::shared_ptr<connection> ready);
  void fill();
  void open_connection();
  void on_opened(const std::shared_ptr<connection>& opened);
  void on_open_failed(const std::shared_ptr<connection>& failed, const std::string& message);
  void schedule_retry(clock::time_point when);
  void publish_statistics();

  boost::asio::any_io_executor executor_;
  pool_options options_;
  conninfo_settings settings_;
  std::string target_;  // for logs: no password

  // Everything below is touched only on strand_.
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer retry_timer_;
  std::deque<std::shared_ptr<connection>> idle_;
  std::set<std::shared_ptr<connection>> opening_;
  std::deque<waiter*> waiters_;
  std::size_t in_use_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  bool retry_scheduled_ = false;
  clock::time_point retry_not_before_{};
  std::chrono::milliseconds backoff_;
  std::string last_open_error_;

  // Copies of the counts for statistics(), which any thread may call.
  std::atomic<std::size_t> total_count_{0};
  std::atomic<std::size_t> idle_count_{0};
  std::atomic<std::size_t> in_use_count_{0};
  std::atomic<std::size_t> waiting_count_{0};
};

}  // namespace gpt_adapter::postgres
