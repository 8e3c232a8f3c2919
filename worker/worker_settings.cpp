#include "worker/worker_settings.hpp"

namespace gpt_adapter::worker {

worker_settings read_worker_settings(const config::env_reader& env) {
  worker_settings settings;
  settings.common = config::read_common_settings(env);
  settings.ops_listener =
      config::read_http_listener_settings(env, "WORKER_OPS_HOST", "WORKER_OPS_PORT", 9100);
  return settings;
}

}  // namespace gpt_adapter::worker
