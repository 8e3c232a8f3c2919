#include "tests/support/services.hpp"

#include <sstream>

#include <boost/json/parse.hpp>

#include "tests/support/http_client.hpp"

namespace gpt_adapter::testing {

std::map<std::string, std::string> service_environment(const postgres_server& database,
                                                       const redis_server& redis) {
  auto values = redis.environment();
  values.merge(std::map<std::string, std::string>{
      {"DATABASE_URL", database.runtime_url()},
      {"DATABASE_POOL_MIN", "1"},
      {"DATABASE_POOL_MAX", "4"},
      {"JWT_SECRET_KEY", test_jwt_secret},
      {"LOG_FORMAT", "json"},
      {"LOG_LEVEL", "info"},
      {"WORKERS", "2"},
      {"API_HOST", "127.0.0.1"},
      {"WORKER_OPS_HOST", "127.0.0.1"},
      {"READINESS_CHECK_TIMEOUT_MS", "500"},
      {"GPT_ADAPTER_ENV_FILE", "/nonexistent/.env"},
      // The worker requires a Memory Bank URL; tests that call one point this at a dev server.
      // Port 9 (discard) has nothing listening on loopback.
      {"MEMORY_BANK_API_URL", "http://127.0.0.1:9"},
  });
  return values;
}

service_process::service_process(const std::string& binary,
                                 std::map<std::string, std::string> environment,
                                 const std::string& port_variable)
    : dir_("gpt-adapter-service"),
      port_(environment.contains(port_variable)
                ? static_cast<unsigned short>(std::stoi(environment.at(port_variable)))
                : free_port()) {
  environment[port_variable] = std::to_string(port_);
  process_ =
      std::make_unique<child_process>(process_options{.argv = {built_binary(binary).string()},
                                                      .environment = std::move(environment),
                                                      .output_file = dir_.path() / "output.log"});
}

std::vector<boost::json::object> service_process::log_lines() const {
  std::vector<boost::json::object> lines;
  std::istringstream text(output());
  std::string line;
  while (std::getline(text, line)) {
    boost::system::error_code error;
    auto value = boost::json::parse(line, error);
    if (!error && value.is_object()) {
      lines.push_back(value.as_object());
    }
  }
  return lines;
}

bool service_process::wait_healthy(std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        if (!process_->running()) {
          return false;
        }
        try {
          return http_get(port_, "/health").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      timeout, 20ms);
}

}  // namespace gpt_adapter::testing
