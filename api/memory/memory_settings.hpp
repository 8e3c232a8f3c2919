#pragma once

#include <chrono>

#include "common/config/env_reader.hpp"
#include "common/queue/record_ttl.hpp"

namespace gpt_adapter::api::memory {

// How the memory endpoints wait, remember and expire things.
struct memory_settings {
  // How long search and the other reads wait for their job before answering 202 pending:
  // always under ChatGPT's 45 s round trip (SEARCH_WAIT_TIMEOUT_MS).
  std::chrono::milliseconds search_wait{10000};
  // Lifetime of a job record, as the worker refreshes it (JOB_RECORD_TTL_SECONDS, shared).
  std::chrono::milliseconds record_ttl{std::chrono::seconds(queue::default_record_ttl_seconds)};
  // A job not finished this long after it was accepted is given up (JOB_DEADLINE_SECONDS).
  std::chrono::seconds job_deadline{std::chrono::minutes(15)};
  // How long an idempotency key is remembered (IDEMPOTENCY_KEY_TTL_SECONDS).
  std::chrono::seconds idempotency_ttl{std::chrono::hours(24)};
  // The Retry-After of a 503 while the Memory Bank circuit is open: the breaker's open time
  // (MEMORY_BANK_BREAKER_OPEN_MS, the variable the worker reads).
  std::chrono::milliseconds circuit_retry_after{60000};
};

// ChatGPT abandons a call after 45 s; a wait must leave room for the rest of the request.
inline constexpr std::chrono::milliseconds max_search_wait{44000};

// Throws config::config_error naming the variable.
memory_settings read_memory_settings(const config::env_reader& env);

}  // namespace gpt_adapter::api::memory
