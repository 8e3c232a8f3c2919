#pragma once

namespace gpt_adapter::worker {

// Reads the configuration, starts the dependencies and the ops listener (/health,
// /health/ready, /metrics), runs until SIGTERM or SIGINT, and returns the exit status.
int run_worker_service();

}  // namespace gpt_adapter::worker
