#pragma once

#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "common/config/settings.hpp"
#include "common/http/health_routes.hpp"
#include "common/postgres/pool.hpp"
#include "common/redis/client.hpp"

namespace gpt_adapter::service {

// The servers both processes talk to. Connecting happens in the background: a process starts
// (and reports not ready) even while a dependency is down, and recovers when it comes back.
struct dependencies {
  std::shared_ptr<postgres::pool> database;
  std::shared_ptr<redis::client> redis;

  void stop();
};

// The pool runs on the first executor; the Redis client has a connection on each (one per I/O
// context of the process).
dependencies start_dependencies(std::vector<boost::asio::any_io_executor> executors,
                                const config::common_settings& settings);

// Readiness probes for both: `SELECT 1` on the pool and `PING` on the Redis client.
std::vector<http::dependency_check> readiness_checks(const dependencies& targets);

}  // namespace gpt_adapter::service
