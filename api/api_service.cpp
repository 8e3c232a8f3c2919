#include "api/api_service.hpp"

#include <chrono>

#include "api/api_settings.hpp"
#include "common/logging/logger.hpp"
#include "common/service/http_service.hpp"

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
  service::http_service api("api", settings.common, settings.listener);
  return api.run(started);
}

}  // namespace gpt_adapter::api
