#include "worker/worker_service.hpp"

#include <chrono>

#include "common/logging/logger.hpp"
#include "common/queue/stream_consumer.hpp"
#include "common/service/http_service.hpp"
#include "worker/delivery.hpp"
#include "worker/job_runner.hpp"
#include "worker/worker_settings.hpp"

namespace gpt_adapter::worker {

int run_worker_service() {
  const auto started = std::chrono::steady_clock::now();
  const auto env = config::process_env_reader();
  const auto settings = read_worker_settings(env);
  auto delivery = read_delivery_settings(env);
  // The sinks' dead streams are counted as often as the job queue's backlog.
  delivery.audit.dead_count_interval = settings.jobs.backlog_interval;
  delivery.job_history.dead_count_interval = settings.jobs.backlog_interval;
  for (auto* sink : {&delivery.audit, &delivery.job_history}) {
    sink->heartbeat_interval = settings.jobs.heartbeat_interval;
    sink->heartbeat_ttl = settings.jobs.heartbeat_ttl;
  }
  logging::init("gpt-adapter-worker", settings.common.logging.level, settings.common.logging.format,
                settings.common.logging.environment);
  service::http_service worker("worker ops", settings.common, settings.ops_listener);
  queue::stream_consumer_metrics consumer_metrics(worker.metrics());
  start_jobs(worker, settings, consumer_metrics);
  start_delivery(worker, settings.common.redis, delivery, settings.jobs.consumer_name,
                 consumer_metrics);
  return worker.run(started);
}

}  // namespace gpt_adapter::worker
