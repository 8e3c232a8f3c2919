#include "api/api_service.hpp"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/api_settings.hpp"
#include "common/http/health_routes.hpp"
#include "common/http/server.hpp"
#include "common/logging/logger.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/dependencies.hpp"
#include "common/service/lifecycle.hpp"

namespace gpt_adapter::api {

int run_api_service() {
  const auto started = std::chrono::steady_clock::now();
  const auto settings = read_api_settings(config::process_env_reader());
  logging::init("gpt-adapter-api", settings.common.logging.level, settings.common.logging.format);
  if (settings.signing.ephemeral) {
    logging::warn(
        "DEVELOPMENT MODE: JWT_SECRET_KEY is not set, signing with an EPHEMERAL random key; every "
        "token dies with this process. Never run like this in production.");
  }

  boost::asio::io_context context(static_cast<int>(settings.listener.threads));
  metrics::registry metrics;
  metrics::register_process_metrics(metrics);

  auto dependencies = service::start_dependencies(context.get_executor(), settings.common);
  auto shutting_down = std::make_shared<std::atomic<bool>>(false);

  auto routes = std::make_shared<http::router>();
  http::add_health_routes(*routes, {.dependencies = service::readiness_checks(dependencies),
                                    .check_timeout = settings.common.readiness_check_timeout,
                                    .shutting_down = shutting_down,
                                    .metrics = &metrics});

  auto server = std::make_shared<http::server>(context, settings.listener, routes, metrics);
  server->start();

  boost::asio::steady_timer readiness_delay(context);
  service::stop_signals signals(context, [&](int signal_number) {
    // Readiness fails first so load balancers stop sending traffic, then the drain begins.
    shutting_down->store(true);
    logging::info("shutdown requested",
                  {{"signal", signal_number},
                   {"readiness_delay_ms", settings.common.shutdown.readiness_delay.count()},
                   {"drain_timeout_ms", settings.common.shutdown.drain_timeout.count()}});
    readiness_delay.expires_after(settings.common.shutdown.readiness_delay);
    readiness_delay.async_wait([&](boost::system::error_code) {
      server->shutdown(settings.common.shutdown.drain_timeout, [&] {
        logging::info("drained; stopping");
        dependencies.stop();
        signals.cancel();
      });
    });
  });

  // Logged once SIGTERM is handled, so a supervisor that saw it may stop us cleanly.
  logging::info("api listening", {{"host", settings.listener.host},
                                  {"port", server->port()},
                                  {"threads", settings.listener.threads},
                                  {"startup_ms", std::chrono::duration<double, std::milli>(
                                                     std::chrono::steady_clock::now() - started)
                                                     .count()}});

  service::run_threads(context, settings.listener.threads);
  logging::info("api stopped");
  return 0;
}

}  // namespace gpt_adapter::api
