#include "common/service/http_service.hpp"

#include <boost/asio/steady_timer.hpp>

#include "common/http/health_routes.hpp"
#include "common/http/server.hpp"
#include "common/logging/logger.hpp"
#include "common/service/lifecycle.hpp"

namespace gpt_adapter::service {

http_service::http_service(std::string name, config::common_settings common,
                           config::http_listener_settings listener)
    : name_(std::move(name)),
      common_(std::move(common)),
      listener_(std::move(listener)),
      context_(static_cast<int>(listener_.threads)) {
  metrics::register_process_metrics(metrics_);
  dependencies_ = start_dependencies(context_.get_executor(), common_);
  http::add_health_routes(*routes_, {.dependencies = readiness_checks(dependencies_),
                                     .check_timeout = common_.readiness_check_timeout,
                                     .shutting_down = shutting_down_,
                                     .metrics = &metrics_});
}

int http_service::run(std::chrono::steady_clock::time_point started) {
  auto server = std::make_shared<http::server>(context_, listener_, routes_, metrics_);
  server->start();

  boost::asio::steady_timer readiness_delay(context_);
  stop_signals signals(context_, [&](int signal_number) {
    // Readiness fails first so load balancers stop sending traffic, then the drain begins.
    shutting_down_->store(true);
    logging::info("shutdown requested",
                  {{"signal", signal_number},
                   {"readiness_delay_ms", common_.shutdown.readiness_delay.count()},
                   {"drain_timeout_ms", common_.shutdown.drain_timeout.count()}});
    readiness_delay.expires_after(common_.shutdown.readiness_delay);
    readiness_delay.async_wait([&](boost::system::error_code) {
      server->shutdown(common_.shutdown.drain_timeout, [&] {
        logging::info("drained; stopping");
        dependencies_.stop();
        signals.cancel();
      });
    });
  });

  // Logged once SIGTERM is handled, so a supervisor that saw it may stop us cleanly.
  logging::info(name_ + " listening",
                {{"host", listener_.host},
                 {"port", server->port()},
                 {"threads", listener_.threads},
                 {"startup_ms", std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - started)
                                    .count()}});
  run_threads(context_, listener_.threads);
  logging::info(name_ + " stopped");
  return 0;
}

}  // namespace gpt_adapter::service
