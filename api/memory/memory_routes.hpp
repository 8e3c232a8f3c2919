#pragma once

#include <memory>
#include <string>

#include "api/memory/memory_settings.hpp"
#include "api/request_auth/request_authorization.hpp"
#include "common/audit/audit_log.hpp"
#include "common/metrics/registry.hpp"
#include "common/queue/completion_waiter.hpp"
#include "common/redis/client.hpp"

// The Custom GPT-facing memory endpoints. Every operation becomes a job on the queue, owned by
// the caller's application and end user (the worker confines it to that namespace); the request
// id is the job id. Reads wait for their job up to the search wait and otherwise answer 202
// with the job to poll; writes answer 202 at once. Each call leaves one audit event.
namespace gpt_adapter::api::memory {

struct memory_route_dependencies {
  std::shared_ptr<redis::client> redis;
  std::shared_ptr<queue::completion_waiter> waiter;
  std::shared_ptr<audit::audit_log> audit;
  memory_settings settings;
  std::string public_base_url;  // for status_url
  metrics::registry& metrics;
};

// Registers search, create, list, get, update, delete and the job status route, each with the
// method, path and scope of its entry in api_operations().
void add_memory_routes(request_auth::request_authorization& authorization, http::router& routes,
                       memory_route_dependencies dependencies);

}  // namespace gpt_adapter::api::memory
