#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/config/settings.hpp"
#include "common/http/router.hpp"
#include "common/http/tls_credentials.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/dependencies.hpp"

namespace gpt_adapter::service {

// The frame both daemons run in: an io_context per thread (WORKERS), a metrics registry with the
// process metrics, PostgreSQL and Redis started in the background, a router that already serves
// /health, /health/ready and /metrics, and the shutdown sequence (readiness fails first, then the
// listener drains within the deadline, then the stop hooks run, then the dependencies stop and
// the process exits 0).
// When the listener has TLS settings, the credentials are loaded at construction (a bad file
// stops start-up) and reloaded on SIGHUP.
class http_service {
 public:
  http_service(std::string name, config::common_settings common,
               config::http_listener_settings listener);

  // The first I/O context: where the dependencies' pool and background work run.
  boost::asio::io_context& context() { return context_; }
  // Every I/O context, each run by one thread; HTTP connections and the Redis client's
  // connections are spread over them, so a request stays on one thread.
  std::vector<boost::asio::io_context*> contexts() const;
  metrics::registry& metrics() { return metrics_; }
  service::dependencies& dependencies() { return dependencies_; }
  http::router& routes() { return *routes_; }

  // Runs `hook` as soon as SIGTERM or SIGINT arrives, before the readiness delay and the drain:
  // where work that should not begin any more stops being taken (a worker's job claiming), so
  // that nothing starts that the shutdown grace would cut off. Hooks run in registration order.
  void on_stop_requested(std::function<void()> hook) {
    stop_request_hooks_.push_back(std::move(hook));
  }

  // Runs `hook` during shutdown, after the HTTP listener has drained and before PostgreSQL and
  // Redis stop: where background work finishes (a worker's jobs in flight) and listeners close.
  // Hooks run one after another in registration order; one that throws is logged and skipped.
  using stop_hook = std::function<boost::asio::awaitable<void>()>;
  void on_stop(stop_hook hook) { stop_hooks_.push_back(std::move(hook)); }

  // Adds a dependency to /health/ready besides PostgreSQL and Redis (e.g. the Memory Bank's
  // circuit breaker). Call before run().
  void add_readiness_check(http::dependency_check check) {
    readiness_checks_.push_back(std::move(check));
  }

  // Binds the listener, serves until SIGTERM or SIGINT and drains; returns the exit status.
  // `started` is when the process began, for the start-up time in the log.
  // The database role is checked as soon as PostgreSQL answers: a superuser or BYPASSRLS role
  // stops the process with exit status 78 (a configuration error) unless
  // DATABASE_ALLOW_RLS_BYPASS is set, and until the check has passed /health/ready reports the
  // dependency `postgres_role` unavailable.
  int run(std::chrono::steady_clock::time_point started);

 private:
  std::string name_;
  config::common_settings common_;
  config::http_listener_settings listener_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  boost::asio::io_context& context_;  // the first
  metrics::registry metrics_;
  service::dependencies dependencies_;
  std::shared_ptr<std::atomic<bool>> shutting_down_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<http::router> routes_ = std::make_shared<http::router>();
  std::shared_ptr<http::tls_credentials> tls_;
  std::vector<std::function<void()>> stop_request_hooks_;
  std::vector<stop_hook> stop_hooks_;
  std::vector<http::dependency_check> readiness_checks_;
  std::shared_ptr<std::atomic<bool>> role_checked_ = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> role_refused_{false};
  std::atomic<bool> role_warned_{false};
  std::atomic<int> exit_status_{0};
  boost::asio::steady_timer role_check_retry_{context_};

  boost::asio::awaitable<void> run_stop_hooks();
  // Reads the runtime role's attributes, retrying until PostgreSQL answers or shutdown begins.
  boost::asio::awaitable<void> check_database_role();
  // One attempt: true when the role is acceptable; a refused role starts the shutdown (once).
  boost::asio::awaitable<bool> check_database_role_once();
};

}  // namespace gpt_adapter::service
