#pragma once

namespace gpt_adapter::api {

// Reads the configuration, starts the dependencies and the HTTP server, serves until SIGTERM or
// SIGINT, drains, and returns the exit status.
int run_api_service();

}  // namespace gpt_adapter::api
