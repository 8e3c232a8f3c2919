#pragma once

#include <chrono>
#include <cstddef>

#include "common/config/env_reader.hpp"

namespace gpt_adapter::worker {

// How one stream → PostgreSQL sink batches and recovers.
struct stream_sink_settings {
  std::size_t batch_size = 500;                    // write when this many entries are waiting...
  std::chrono::milliseconds batch_max_wait{1000};  // ...or when the oldest has waited this long
  // Entries another worker read but left unacknowledged this long are taken over (XAUTOCLAIM):
  // that worker died with them. Longer than a batch write can take.
  std::chrono::milliseconds claim_idle{60000};
  // The consumer's liveness heartbeat (WORKER_HEARTBEAT_INTERVAL_MS and _TTL_MS, which every
  // consumer of the worker shares): a dead worker's entries are taken over once it lapses.
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_ttl{5000};
  // After a failed write the batch is retried with exponential backoff up to retry_max.
  std::chrono::milliseconds retry_initial{250};
  std::chrono::milliseconds retry_max{30000};
  // How often the dead stream's length is read for the gpt_adapter_stream_sink_dead_entries gauge:
  // entries other workers set aside, or an operator removed, show within this (and at once after
  // this sink sets one aside itself).
  std::chrono::milliseconds dead_count_interval{5000};
};

struct delivery_settings {
  stream_sink_settings audit;        // AUDIT_BATCH_SIZE, AUDIT_BATCH_MAX_WAIT_MS
  stream_sink_settings job_history;  // JOB_HISTORY_BATCH_SIZE, JOB_HISTORY_BATCH_MAX_WAIT_MS
};

// Also reads DELIVERY_CLAIM_IDLE_MS and DELIVERY_RETRY_MAX_MS, shared by both sinks. Throws
// config::config_error naming the variable.
delivery_settings read_delivery_settings(const config::env_reader& env);

// A batch becomes one INSERT per application, and PostgreSQL takes at most 65535 parameters
// per statement: 5000 rows of up to 13 columns stay below it.
inline constexpr std::size_t max_batch_size = 5000;

}  // namespace gpt_adapter::worker
