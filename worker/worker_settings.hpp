#pragma once

#include "common/config/settings.hpp"

namespace gpt_adapter::worker {

struct worker_settings {
  config::common_settings common;
  config::http_listener_settings ops_listener;  // WORKER_OPS_HOST, WORKER_OPS_PORT, WORKERS
};

// Reads and validates everything the worker needs; throws config::config_error naming the
// variable.
worker_settings read_worker_settings(const config::env_reader& env);

}  // namespace gpt_adapter::worker
