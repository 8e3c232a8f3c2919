#include "worker/delivery_settings.hpp"

namespace gpt_adapter::worker {
namespace {

using std::chrono::milliseconds;

stream_sink_settings read_sink_settings(const config::env_reader& env, const std::string& prefix,
                                        milliseconds claim_idle, milliseconds retry_max) {
  const stream_sink_settings defaults;
  return {.batch_size = static_cast<std::size_t>(
              env.integer_or(prefix + "_BATCH_SIZE", static_cast<std::int64_t>(defaults.batch_size),
                             1, static_cast<std::int64_t>(max_batch_size))),
          .batch_max_wait = env.millis_or(prefix + "_BATCH_MAX_WAIT_MS", defaults.batch_max_wait,
                                          milliseconds(1), milliseconds(60000)),
          .claim_idle = claim_idle,
          .retry_initial = std::min(defaults.retry_initial, retry_max),
          .retry_max = retry_max};
}

}  // namespace

delivery_settings read_delivery_settings(const config::env_reader& env) {
  const stream_sink_settings defaults;
  const auto claim_idle = env.millis_or("DELIVERY_CLAIM_IDLE_MS", defaults.claim_idle,
                                        milliseconds(1000), milliseconds(3600000));
  const auto retry_max = env.millis_or("DELIVERY_RETRY_MAX_MS", defaults.retry_max,
                                       milliseconds(10), milliseconds(600000));
  return {.audit = read_sink_settings(env, "AUDIT", claim_idle, retry_max),
          .job_history = read_sink_settings(env, "JOB_HISTORY", claim_idle, retry_max)};
}

}  // namespace gpt_adapter::worker
