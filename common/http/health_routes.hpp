#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/http/router.hpp"
#include "common/metrics/registry.hpp"

namespace gpt_adapter::http {

// One dependency that readiness depends on. `probe` must finish within the timeout it is given.
struct dependency_check {
  std::string name;  // e.g. "postgres"
  std::function<boost::asio::awaitable<bool>(std::chrono::milliseconds timeout)> probe;
};

struct health_options {
  std::vector<dependency_check> dependencies;
  std::chrono::milliseconds check_timeout{1000};
  // Set when the process starts shutting down: readiness then fails first, before draining.
  std::shared_ptr<const std::atomic<bool>> shutting_down;
  metrics::registry* metrics = nullptr;
};

// GET /health (liveness, never touches a dependency), GET /health/ready (every dependency
// probed concurrently, 200 or 503), GET /metrics (Prometheus text). With a registry, each
// readiness check sets gpt_adapter_readiness_dependency_up{dependency}.
void add_health_routes(router& routes, health_options options);

}  // namespace gpt_adapter::http
