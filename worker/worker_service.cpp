#include "worker/worker_service.hpp"

#include <chrono>

#include <boost/asio/io_context.hpp>

#include "common/http/health_routes.hpp"
#include "common/http/server.hpp"
#include "common/logging/logger.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/dependencies.hpp"
#include "common/service/lifecycle.hpp"
#include "worker/worker_settings.hpp"

namespace gpt_adapter::worker {

int run_worker_service() {
  const auto started = std::chrono::steady_clock::now();
  const auto settings = read_worker_settings(config::process_env_reader());
  logging::init("gpt-adapter-worker", settings.common.logging.level,
                settings.common.logging.format);

  boost::asio::io_context context(static_cast<int>(settings.ops_listener.threads));
  metrics::registry metrics;
  metrics::register_process_metrics(metrics);

  auto dependencies = service::start_dependencies(context.get_executor(), settings.common);
  auto shutting_down = std::make_shared<std::atomic<bool>>(false);

  auto routes = std::make_shared<http::router>();
  http::add_health_routes(*routes, {.dependencies = service::readiness_checks(dependencies),
                                    .check_timeout = settings.common.readiness_check_timeout,
                                    .shutting_down = shutting_down,
                                    .metrics = &metrics});
  auto ops_server = std::make_shared<http::server>(context, settings.ops_listener, routes, metrics);
  ops_server->start();

  service::stop_signals signals(context, [&](int signal_number) {
    shutting_down->store(true);
    logging::info("shutdown requested", {{"signal", signal_number}});
    ops_server->shutdown(settings.common.shutdown.drain_timeout, [&] {
      dependencies.stop();
      signals.cancel();
    });
  });

  // Logged once SIGTERM is handled, so a supervisor that saw it may stop us cleanly.
  logging::info("worker started", {{"ops_host", settings.ops_listener.host},
                                   {"ops_port", ops_server->port()},
                                   {"startup_ms", std::chrono::duration<double, std::milli>(
                                                      std::chrono::steady_clock::now() - started)
                                                      .count()}});

  service::run_threads(context, settings.ops_listener.threads);
  logging::info("worker stopped");
  return 0;
}

}  // namespace gpt_adapter::worker
