#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config/settings.hpp"
#include "common/memory_bank/client.hpp"
#include "common/queue/record_ttl.hpp"
#include "common/queue/retry_policy.hpp"

namespace gpt_adapter::worker {

// How the job loop runs (the WORKER_* and JOB_* variables in .env.example).
struct job_settings {
  std::size_t concurrency = 16;                          // WORKER_CONCURRENCY
  std::chrono::milliseconds soft_time_limit{100000};     // WORKER_SOFT_TIME_LIMIT_MS
  std::chrono::milliseconds hard_time_limit{120000};     // WORKER_HARD_TIME_LIMIT_MS
  std::chrono::milliseconds visibility_timeout{150000};  // WORKER_VISIBILITY_TIMEOUT_MS
  std::chrono::milliseconds shutdown_grace{15000};       // WORKER_SHUTDOWN_GRACE_MS
  std::chrono::milliseconds read_block{1000};            // WORKER_READ_BLOCK_MS
  std::chrono::milliseconds scheduler_interval{250};     // WORKER_SCHEDULER_INTERVAL_MS
  std::chrono::milliseconds claim_interval{5000};        // WORKER_CLAIM_INTERVAL_MS
  std::chrono::milliseconds backlog_interval{5000};      // WORKER_BACKLOG_INTERVAL_MS
  // Each of the worker's stream consumers refreshes a heartbeat key this often, with this TTL;
  // once one lapses, any live worker takes over that consumer's pending entries at once.
  std::chrono::milliseconds heartbeat_interval{1000};  // WORKER_HEARTBEAT_INTERVAL_MS
  std::chrono::milliseconds heartbeat_ttl{5000};       // WORKER_HEARTBEAT_TTL_MS
  std::chrono::milliseconds record_ttl{
      std::chrono::seconds(queue::default_record_ttl_seconds)};  // JOB_RECORD_TTL_SECONDS
  // JOB_MAX_ATTEMPTS, JOB_RETRY_BASE_DELAY_MS, JOB_RETRY_MAX_DELAY_MS
  queue::retry_settings retry;
  // JOB_MAX_DELIVERIES: a stream entry handed out more often than this without being settled
  // (its workers crashed or were killed while running it) is dead-lettered instead of run again.
  std::int64_t max_deliveries = 5;
  // WORKER_CONSUMER_NAME; default <hostname>-<pid>, unique per process.
  std::string consumer_name;
};

struct worker_settings {
  config::common_settings common;
  config::http_listener_settings ops_listener;  // WORKER_OPS_HOST, WORKER_OPS_PORT, WORKERS
  job_settings jobs;
  memory_bank::client_settings memory_bank;  // MEMORY_BANK_*
};

// Reads the job loop's variables; throws config::config_error naming the variable, including
// for limits that contradict each other (soft >= hard, visibility timeout <= hard limit).
job_settings read_job_settings(const config::env_reader& env);

// Reads and validates everything the worker needs; throws config::config_error naming the
// variable.
worker_settings read_worker_settings(const config::env_reader& env);

}  // namespace gpt_adapter::worker
