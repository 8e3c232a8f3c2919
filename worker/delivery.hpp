#pragma once

#include <string>

#include "common/config/settings.hpp"
#include "common/queue/stream_consumer.hpp"
#include "common/service/http_service.hpp"
#include "worker/delivery_settings.hpp"

namespace gpt_adapter::worker {

// Starts this worker's two stream → PostgreSQL sinks (audit events into custom_gpt_audit_logs,
// final job outcomes into custom_gpt_jobs) on the service's io_context and dependencies, and
// registers their stop as a shutdown hook of `service`. `consumer` is this process's consumer
// name (WORKER_CONSUMER_NAME, unique per process), used in the sinks' own consumer groups.
void start_delivery(service::http_service& service, const config::redis_settings& redis,
                    const delivery_settings& settings, const std::string& consumer,
                    queue::stream_consumer_metrics& consumer_metrics);

}  // namespace gpt_adapter::worker
