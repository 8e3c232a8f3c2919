#include "api/memory/memory_settings.hpp"

namespace gpt_adapter::api::memory {

memory_settings read_memory_settings(const config::env_reader& env) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const memory_settings defaults;
  memory_settings settings;
  settings.search_wait = env.millis_or("SEARCH_WAIT_TIMEOUT_MS", defaults.search_wait,
                                       milliseconds(1), max_search_wait);
  settings.record_ttl = queue::read_record_ttl(env);
  settings.job_deadline =
      seconds(env.integer_or("JOB_DEADLINE_SECONDS", defaults.job_deadline.count(), 10, 24 * 3600));
  settings.idempotency_ttl = seconds(env.integer_or(
      "IDEMPOTENCY_KEY_TTL_SECONDS", defaults.idempotency_ttl.count(), 60, 7LL * 24 * 3600));
  settings.circuit_retry_after =
      env.millis_or("MEMORY_BANK_BREAKER_OPEN_MS", defaults.circuit_retry_after, milliseconds(10),
                    std::chrono::hours(1));
  return settings;
}

}  // namespace gpt_adapter::api::memory
