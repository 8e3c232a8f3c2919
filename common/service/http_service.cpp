#include "common/service/http_service.hpp"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/http/health_routes.hpp"
#include "common/http/server.hpp"
#include "common/logging/logger.hpp"
#include "common/postgres/runtime_role.hpp"
#include "common/service/lifecycle.hpp"

namespace gpt_adapter::service {
namespace {

// After the drain the io_context should run out of work by itself once the dependencies have
// stopped. Should anything still be pending after this grace, the context is stopped anyway:
// a supervisor must never wait on us forever.
constexpr std::chrono::seconds dependency_stop_grace{2};

std::vector<std::unique_ptr<boost::asio::io_context>> make_contexts(std::size_t threads) {
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));
  }
  return contexts;
}

// A thread outside the io_contexts (a timer inside one would itself be pending work).
class stop_watchdog {
 public:
  explicit stop_watchdog(std::vector<boost::asio::io_context*> contexts)
      : thread_([this, contexts] {
          std::unique_lock lock(mutex_);
          changed_.wait(lock, [this] { return finished_ || deadline_; });
          if (finished_ || changed_.wait_until(lock, *deadline_, [this] { return finished_; })) {
            return;
          }
          logging::warn("work still pending after the dependencies stopped; stopping anyway");
          for (auto* context : contexts) {
            context->stop();
          }
        }) {}
  ~stop_watchdog() { finish(); }

  void arm(std::chrono::steady_clock::duration grace) {
    {
      std::lock_guard lock(mutex_);
      deadline_ = std::chrono::steady_clock::now() + grace;
    }
    changed_.notify_all();
  }

  void finish() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool finished_ = false;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::jthread thread_;  // last: starts after the state above exists, joins before it goes
};

}  // namespace

http_service::http_service(std::string name, config::common_settings common,
                           config::http_listener_settings listener)
    : name_(std::move(name)),
      common_(std::move(common)),
      listener_(std::move(listener)),
      contexts_(make_contexts(listener_.threads)),
      context_(*contexts_.front()),
      tls_(listener_.tls ? std::make_shared<http::tls_credentials>(*listener_.tls) : nullptr) {
  metrics::register_process_metrics(metrics_);
  std::vector<boost::asio::any_io_executor> executors;
  for (const auto& each : contexts_) {
    executors.push_back(each->get_executor());
  }
  dependencies_ = start_dependencies(std::move(executors), common_);
  readiness_checks_ = readiness_checks(dependencies_);
  // Asked as a probe too, so that a readiness answer right after start-up does not depend on
  // whether the background check has run yet.
  readiness_checks_.push_back(
      {"postgres_role", [this](std::chrono::milliseconds) -> boost::asio::awaitable<bool> {
         if (role_checked_->load()) {
           co_return true;
         }
         const bool acceptable = co_await check_database_role_once();
         co_return acceptable;
       }});
}

std::vector<boost::asio::io_context*> http_service::contexts() const {
  std::vector<boost::asio::io_context*> all;
  for (const auto& each : contexts_) {
    all.push_back(each.get());
  }
  return all;
}

boost::asio::awaitable<bool> http_service::check_database_role_once() {
  std::optional<postgres::runtime_role> role;
  try {
    const auto rows = co_await dependencies_.database->query(postgres::runtime_role_sql);
    if (rows.rows() == 1) {
      role = postgres::runtime_role{.name = std::string(rows.value(0, 0)),
                                    .superuser = rows.value(0, 1) == "t",
                                    .bypass_rls = rows.value(0, 2) == "t"};
    }
  } catch (const std::exception&) {
    // Not reachable yet: the pool logs its connection failures.
  }
  if (!role) {
    co_return false;
  }
  const auto problem = postgres::rls_bypass_problem(*role);
  if (problem && !common_.database.allow_rls_bypass) {
    if (!role_refused_.exchange(true)) {
      logging::error("refusing to start: " + *problem,
                     {{"variable", "DATABASE_URL"}, {"role", role->name}});
      exit_status_ = exit_config_error;
      // The shutdown an operator's SIGTERM starts, so that everything started stops cleanly.
      std::raise(SIGTERM);
    }
    co_return false;
  }
  if (problem && !role_warned_.exchange(true)) {
    logging::warn("DATABASE_ALLOW_RLS_BYPASS=true: RUNNING WITHOUT ROW-LEVEL SECURITY. " + *problem,
                  {{"variable", "DATABASE_URL"}, {"role", role->name}});
  }
  role_checked_->store(true);
  co_return true;
}

boost::asio::awaitable<void> http_service::check_database_role() {
  std::chrono::milliseconds delay{100};
  while (!shutting_down_->load() && !role_refused_.load()) {
    if (role_checked_->load()) {
      co_return;
    }
    const bool acceptable = co_await check_database_role_once();
    if (acceptable || role_refused_.load()) {
      co_return;
    }
    role_check_retry_.expires_after(delay);
    co_await role_check_retry_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

boost::asio::awaitable<void> http_service::run_stop_hooks() {
  for (auto& hook : stop_hooks_) {
    try {
      co_await hook();
    } catch (const std::exception& failure) {
      logging::error("a shutdown step failed", {{"error", failure.what()}});
    }
  }
}

int http_service::run(std::chrono::steady_clock::time_point started) {
  http::add_health_routes(*routes_, {.dependencies = readiness_checks_,
                                     .check_timeout = common_.readiness_check_timeout,
                                     .shutting_down = shutting_down_,
                                     .metrics = &metrics_});
  auto server = std::make_shared<http::server>(contexts(), listener_, routes_, metrics_, tls_);
  server->start();

  // SIGHUP: read the certificate files again (after a renewal); open connections keep theirs.
  boost::asio::signal_set reload_signal(context_);
  std::function<void()> await_reload = [&] {
    reload_signal.async_wait([&](boost::system::error_code error, int) {
      if (error)
        return;
      try {
        tls_->reload();
        logging::info("TLS certificate reloaded");
      } catch (const std::exception& failure) {
        logging::error("TLS certificate reload failed; keeping the current one",
                       {{"error", failure.what()}});
      }
      await_reload();
    });
  };
  if (tls_) {
    reload_signal.add(SIGHUP);
    await_reload();
  }

  boost::asio::steady_timer readiness_delay(context_);
  stop_watchdog watchdog(contexts());
  // The other contexts have no work of their own between connections: they run until the
  // dependencies have stopped.
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      keep_running;
  for (const auto& each : contexts_) {
    if (each.get() != &context_) {
      keep_running.push_back(boost::asio::make_work_guard(*each));
    }
  }
  stop_signals signals(context_, [&](int signal_number) {
    // Readiness fails first so load balancers stop sending traffic, then the drain begins.
    shutting_down_->store(true);
    logging::info("shutdown requested",
                  {{"signal", signal_number},
                   {"readiness_delay_ms", common_.shutdown.readiness_delay.count()},
                   {"drain_timeout_ms", common_.shutdown.drain_timeout.count()}});
    for (const auto& hook : stop_request_hooks_) {
      hook();
    }
    readiness_delay.expires_after(common_.shutdown.readiness_delay);
    readiness_delay.async_wait([&](boost::system::error_code) {
      server->shutdown(common_.shutdown.drain_timeout, [&] {
        logging::info("drained; stopping");
        boost::asio::co_spawn(context_, run_stop_hooks(), [&](std::exception_ptr) {
          dependencies_.stop();
          signals.cancel();
          boost::system::error_code ignored;
          reload_signal.cancel(ignored);
          role_check_retry_.cancel();
          for (auto& guard : keep_running) {
            guard.reset();
          }
          watchdog.arm(dependency_stop_grace);
        });
      });
    });
  });

  // Logged once SIGTERM is handled, so a supervisor that saw it may stop us cleanly.
  logging::info(name_ + " listening",
                {{"host", listener_.host},
                 {"port", server->port()},
                 {"tls", tls_ != nullptr},
                 {"threads", listener_.threads},
                 {"startup_ms", std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - started)
                                    .count()}});
  boost::asio::co_spawn(context_, check_database_role(), boost::asio::detached);
  run_each_on_a_thread(contexts());
  watchdog.finish();
  logging::info(name_ + " stopped");
  return exit_status_;
}

}  // namespace gpt_adapter::service
