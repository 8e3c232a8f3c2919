#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"

namespace gpt_adapter::testing {

// The HS256 secret service_environment() gives our services (JWT_SECRET_KEY), so that tests can
// sign tokens the API accepts.
inline constexpr auto test_jwt_secret = "test-signing-key-0123456789abcdef-0123456789";

// Environment for our services against private test servers, with a fixed test signing key
// and logs as JSON lines.
std::map<std::string, std::string> service_environment(const postgres_server& database,
                                                       const redis_server& redis);

// One of our daemons (the API or the worker) started as a child process on a free port, with
// its output captured. `port_variable` is the variable that sets its HTTP port.
class service_process {
 public:
  // Listens on `port_variable`'s port when `environment` sets it (a test that must know the
  // address in advance, e.g. for PUBLIC_BASE_URL), on a free one otherwise.
  service_process(const std::string& binary, std::map<std::string, std::string> environment,
                  const std::string& port_variable);

  unsigned short port() const { return port_; }
  child_process& process() { return *process_; }
  std::string output() const { return process_->output(); }
  // Every output line that is a JSON object (the structured log).
  std::vector<boost::json::object> log_lines() const;
  // Waits until GET /health answers 200.
  bool wait_healthy(std::chrono::milliseconds timeout);

 private:
  temp_dir dir_;
  unsigned short port_;
  std::unique_ptr<child_process> process_;
};

inline constexpr auto api_binary = "api/gpt-adapter-api";
inline constexpr auto worker_binary = "worker/gpt-adapter-worker";

}  // namespace gpt_adapter::testing
