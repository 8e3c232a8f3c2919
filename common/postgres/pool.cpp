#include "common/postgres/pool.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/postgres/connection.hpp"

namespace gpt_adapter::postgres {

namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr milliseconds initial_backoff{100};
constexpr milliseconds max_backoff{5000};

// BEGIN, the body, COMMIT; ROLLBACK when the body throws. With an application id, the
// transaction is scoped to it for row-level security first.
asio::awaitable<void> run_in_transaction(
    connection_lease& lease, std::optional<std::string> application_id,
    const std::function<asio::awaitable<void>(connection_lease&)>& body) {
  co_await lease.query("BEGIN");
  std::exception_ptr failure;
  try {
    if (application_id) {
      co_await lease.query("SELECT set_config('app.application_id', $1, true)",
                           param_list(std::move(application_id)));
    }
    co_await body(lease);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    try {
      co_await lease.query("ROLLBACK");
    } catch (const std::exception&) {
      lease.discard();
    }
    std::rethrow_exception(failure);
  }
  const auto committed = co_await lease.query("COMMIT");
  // COMMIT of a transaction in which a statement failed ends it with ROLLBACK, not an error.
  if (committed.command_tag() != "COMMIT") {
    throw error("the transaction was rolled back because a statement in it failed", "25P02");
  }
}

}  // namespace

struct pool::waiter {
  explicit waiter(const asio::strand<asio::any_io_executor>& strand) : timer(strand) {}
  asio::steady_timer timer;
  std::shared_ptr<connection> granted;
  std::optional<error> failure;
};

connection_lease::connection_lease(std::shared_ptr<pool> owner, std::shared_ptr<connection> leased)
    : pool_(std::move(owner)), connection_(std::move(leased)) {}

connection_lease& connection_lease::operator=(connection_lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    connection_ = std::move(other.connection_);
    discard_ = other.discard_;
  }
  return *this;
}

connection_lease::~connection_lease() {
  release();
}

void connection_lease::release() noexcept {
  if (!connection_) {
    return;
  }
  auto owner = std::move(pool_);
  auto returned = std::move(connection_);
  const bool reusable = !discard_;
  asio::post(owner->strand_, [owner, returned = std::move(returned), reusable]() mutable {
    owner->give_back(std::move(returned), reusable);
  });
}

void connection_lease::discard() noexcept {
  discard_ = true;
}

asio::awaitable<result> connection_lease::query(std::string_view sql, std::vector<param> params) {
  co_return co_await query(sql, std::move(params),
                           pool_ ? pool_->options_.query_timeout : milliseconds{});
}

asio::awaitable<result> connection_lease::query(std::string_view sql, std::vector<param> params,
                                                std::optional<milliseconds> timeout) {
  if (!connection_) {
    throw error("this lease no longer holds a connection");
  }
  co_return co_await connection_->execute(std::string(sql), std::move(params), timeout);
}

std::shared_ptr<pool> pool::create(asio::any_io_executor executor, pool_options options) {
  if (options.max_size == 0 || options.min_size > options.max_size) {
    throw std::invalid_argument("postgres pool needs 0 < max_size and min_size <= max_size");
  }
  return std::make_shared<pool>(private_tag{}, std::move(executor), std::move(options));
}

pool::pool(private_tag, asio::any_io_executor executor, pool_options options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      settings_(parse_conninfo(options_.conninfo)),
      target_(describe_target(settings_)),
      strand_(asio::make_strand(executor_)),
      retry_timer_(strand_),
      backoff_(initial_backoff) {
  set_default(settings_, "client_encoding", "UTF8");
}

pool::~pool() = default;

void pool::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->started_ || self->stopped_) {
      return;
    }
    self->started_ = true;
    logging::info("postgres pool starting", {{"target", self->target_},
                                             {"min_size", self->options_.min_size},
                                             {"max_size", self->options_.max_size}});
    self->fill();
  });
}

void pool::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_) {
      return;
    }
    self->stopped_ = true;
    self->idle_.clear();
    for (const auto& opening : self->opening_) {
      opening->abort();
    }
    self->retry_timer_.cancel();
    for (waiter* waiting : self->waiters_) {
      waiting->failure = error("the database pool is stopped");
      waiting->timer.cancel();
    }
    self->waiters_.clear();
    self->publish_statistics();
    logging::info("postgres pool stopped", {{"target", self->target_}});
  });
}

asio::awaitable<result> pool::query(std::string_view sql, std::vector<param> params) {
  const std::string statement(sql);
  for (int attempt = 1;; ++attempt) {
    auto leased = co_await acquire();
    const auto used = leased.connection_;
    // Kept out of the co_await expression: GCC 12 destroys a conditional's temporary twice there.
    std::vector<param> sent = attempt == 1 ? params : std::move(params);
    try {
      co_return co_await leased.query(statement, std::move(sent));
    } catch (const error&) {
      if (attempt > 1 || !used->broken() || !used->failed_before_sending()) {
        throw;
      }
    }
    logging::info("postgres connection was lost before the query was sent; retrying once",
                  {{"target", target_}});
  }
}

asio::awaitable<connection_lease> pool::acquire() {
  auto leased = co_await acquire_until(clock::now() + options_.acquire_timeout);
  co_return connection_lease(shared_from_this(), std::move(leased));
}

asio::awaitable<void> pool::transaction(
    std::function<asio::awaitable<void>(connection_lease&)> body) {
  auto leased = co_await acquire();
  co_await run_in_transaction(leased, std::nullopt, body);
}

asio::awaitable<void> pool::application_transaction(
    std::string application_id, std::function<asio::awaitable<void>(connection_lease&)> body) {
  auto leased = co_await acquire();
  co_await run_in_transaction(leased, std::move(application_id), body);
}

asio::awaitable<bool> pool::ping(milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  bool answered = false;
  try {
    connection_lease leased(shared_from_this(), co_await acquire_until(deadline));
    const auto remaining = std::max(
        milliseconds{1}, std::chrono::duration_cast<milliseconds>(deadline - clock::now()));
    const auto answer = co_await leased.query("SELECT 1", {}, remaining);
    answered = answer.rows() == 1 && answer.value(0, 0) == "1";
  } catch (const std::exception&) {
    answered = false;
  }
  co_return answered;
}

pool::stats pool::statistics() const {
  return {total_count_.load(), idle_count_.load(), in_use_count_.load(), waiting_count_.load()};
}

asio::awaitable<std::shared_ptr<connection>> pool::acquire_until(clock::time_point deadline) {
  co_return co_await asio::co_spawn(strand_, take_or_wait(deadline), asio::use_awaitable);
}

asio::awaitable<std::shared_ptr<connection>> pool::take_or_wait(clock::time_point deadline) {
  const auto self = shared_from_this();
  const auto started = clock::now();
  if (stopped_) {
    throw error("the database pool is stopped");
  }
  while (!idle_.empty()) {
    auto candidate = std::move(idle_.back());
    idle_.pop_back();
    if (candidate->check_idle()) {
      ++in_use_;
      publish_statistics();
      co_return candidate;
    }
    logging::info("postgres idle connection was closed by the server; discarding it",
                  {{"target", target_}});
  }
  waiter waiting(strand_);
  waiting.timer.expires_at(deadline);
  waiters_.push_back(&waiting);
  fill();
  publish_statistics();
  co_await waiting.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (const auto position = std::find(waiters_.begin(), waiters_.end(), &waiting);
      position != waiters_.end()) {
    waiters_.erase(position);
    publish_statistics();
  }
  if (waiting.granted) {
    co_return std::move(waiting.granted);
  }
  if (waiting.failure) {
    throw *waiting.failure;
  }
  const auto waited = std::chrono::duration_cast<milliseconds>(clock::now() - started);
  std::string message =
      "no database connection became available within " + std::to_string(waited.count()) + " ms";
  if (!last_open_error_.empty()) {
    message += "; last connection error: " + last_open_error_;
  }
  throw error(message);
}

void pool::give_back(std::shared_ptr<connection> returned, bool reusable) {
  --in_use_;
  if (reusable && !stopped_ && returned->reusable()) {
    hand_out(std::move(returned));
  } else {
    returned.reset();
    fill();
  }
  publish_statistics();
}

void pool::hand_out(std::shared_ptr<connection> ready) {
  if (waiters_.empty()) {
    idle_.push_back(std::move(ready));
  } else {
    waiter* first = waiters_.front();
    waiters_.pop_front();
    first->granted = std::move(ready);
    ++in_use_;
    first->timer.cancel();
  }
  publish_statistics();
}

void pool::fill() {
  if (stopped_) {
    return;
  }
  while (true) {
    const std::size_t total = idle_.size() + in_use_ + opening_.size();
    if (total >= options_.max_size) {
      return;
    }
    const bool for_waiter = waiters_.size() > opening_.size();
    const bool below_minimum = started_ && total < options_.min_size;
    if (!for_waiter && !below_minimum) {
      return;
    }
    // Someone waiting gets an attempt at once; keeping the minimum open backs off after failures.
    if (!for_waiter && clock::now() < retry_not_before_) {
      schedule_retry(retry_not_before_);
      return;
    }
    open_connection();
  }
}

void pool::open_connection() {
  auto fresh = std::make_shared<connection>(executor_);
  opening_.insert(fresh);
  publish_statistics();
  asio::co_spawn(
      strand_,
      [self = shared_from_this(), fresh]() -> asio::awaitable<void> {
        std::string failure;
        try {
          co_await fresh->open(self->settings_, self->options_.connect_timeout);
        } catch (const std::exception& e) {
          failure = e.what();
        }
        if (failure.empty()) {
          self->on_opened(fresh);
        } else {
          self->on_open_failed(fresh, failure);
        }
      },
      asio::detached);
}

void pool::on_opened(const std::shared_ptr<connection>& opened) {
  opening_.erase(opened);
  backoff_ = initial_backoff;
  retry_not_before_ = {};
  if (!last_open_error_.empty()) {
    logging::info("postgres connections succeed again", {{"target", target_}});
    last_open_error_.clear();
  }
  if (stopped_) {
    publish_statistics();
    return;
  }
  hand_out(opened);
  fill();
}

void pool::on_open_failed(const std::shared_ptr<connection>& failed, const std::string& message) {
  opening_.erase(failed);
  last_open_error_ = message;
  if (stopped_) {
    publish_statistics();
    return;
  }
  logging::warn("postgres connection attempt failed",
                {{"target", target_}, {"error", message}, {"retry_in_ms", backoff_.count()}});
  retry_not_before_ = clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, max_backoff);
  // The attempt was made for someone waiting (or will disappoint them): tell the first now
  // rather than at its deadline.
  if (!waiters_.empty()) {
    waiter* first = waiters_.front();
    waiters_.pop_front();
    first->failure = error("cannot connect to the database: " + message);
    first->timer.cancel();
  }
  fill();
  publish_statistics();
}

void pool::schedule_retry(clock::time_point when) {
  if (retry_scheduled_) {
    return;
  }
  retry_scheduled_ = true;
  retry_timer_.expires_at(when);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->retry_scheduled_ = false;
    if (!ec) {
      self->fill();
    }
  });
}

void pool::publish_statistics() {
  idle_count_ = idle_.size();
  in_use_count_ = in_use_;
  waiting_count_ = waiters_.size();
  total_count_ = idle_.size() + in_use_ + opening_.size();
}

}  // namespace gpt_adapter::postgres
