#pragma once

#include "common/metrics/registry.hpp"

namespace gpt_adapter::worker {

// The job loop's metric families, registered once per process.
struct job_metrics {
  metrics::family<metrics::counter>& processed;
  metrics::family<metrics::histogram>& duration;
  metrics::family<metrics::counter>& retries;
  metrics::family<metrics::counter>& dead_lettered;
  metrics::family<metrics::counter>& past_soft_limit;
  metrics::gauge& in_flight;
  metrics::family<metrics::gauge>& queue_jobs;
  metrics::gauge& backlog;
  metrics::gauge& oldest_age;

  explicit job_metrics(metrics::registry& registry);
};

}  // namespace gpt_adapter::worker
