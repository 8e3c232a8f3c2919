#include "worker/worker_settings.hpp"

#include <array>
#include <unistd.h>

namespace gpt_adapter::worker {
namespace {

using std::chrono::milliseconds;

std::string default_consumer_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) {
    host[0] = '\0';
  }
  std::string name(host.data());
  if (name.empty()) {
    name = "worker";
  }
  return name + "-" + std::to_string(getpid());
}

}  // namespace

job_settings read_job_settings(const config::env_reader& env) {
  const job_settings defaults;
  job_settings settings;
  settings.concurrency = static_cast<std::size_t>(env.integer_or(
      "WORKER_CONCURRENCY", static_cast<std::int64_t>(defaults.concurrency), 1, 1024));
  settings.soft_time_limit = env.millis_or("WORKER_SOFT_TIME_LIMIT_MS", defaults.soft_time_limit,
                                           milliseconds(10), milliseconds(3600000));
  settings.hard_time_limit = env.millis_or("WORKER_HARD_TIME_LIMIT_MS", defaults.hard_time_limit,
                                           milliseconds(10), milliseconds(3600000));
  if (settings.soft_time_limit >= settings.hard_time_limit) {
    throw config::config_error(
        "WORKER_SOFT_TIME_LIMIT_MS must be less than WORKER_HARD_TIME_LIMIT_MS (" +
        std::to_string(settings.hard_time_limit.count()) + ")");
  }
  settings.visibility_timeout =
      env.millis_or("WORKER_VISIBILITY_TIMEOUT_MS", defaults.visibility_timeout, milliseconds(100),
                    milliseconds(24 * 3600000));
  if (settings.visibility_timeout <= settings.hard_time_limit) {
    throw config::config_error(
        "WORKER_VISIBILITY_TIMEOUT_MS must be greater than WORKER_HARD_TIME_LIMIT_MS (" +
        std::to_string(settings.hard_time_limit.count()) +
        "), or a slow job would be reclaimed while it still runs");
  }
  settings.shutdown_grace = env.millis_or("WORKER_SHUTDOWN_GRACE_MS", defaults.shutdown_grace,
                                          milliseconds(0), milliseconds(600000));
  settings.read_block = env.millis_or("WORKER_READ_BLOCK_MS", defaults.read_block, milliseconds(10),
                                      milliseconds(60000));
  settings.scheduler_interval =
      env.millis_or("WORKER_SCHEDULER_INTERVAL_MS", defaults.scheduler_interval, milliseconds(10),
                    milliseconds(60000));
  settings.claim_interval = env.millis_or("WORKER_CLAIM_INTERVAL_MS", defaults.claim_interval,
                                          milliseconds(10), milliseconds(3600000));
  settings.backlog_interval = env.millis_or("WORKER_BACKLOG_INTERVAL_MS", defaults.backlog_interval,
                                            milliseconds(100), milliseconds(3600000));
  settings.heartbeat_interval =
      env.millis_or("WORKER_HEARTBEAT_INTERVAL_MS", defaults.heartbeat_interval, milliseconds(50),
                    milliseconds(60000));
  settings.heartbeat_ttl = env.millis_or("WORKER_HEARTBEAT_TTL_MS", defaults.heartbeat_ttl,
                                         milliseconds(200), milliseconds(600000));
  if (settings.heartbeat_ttl < 2 * settings.heartbeat_interval) {
    throw config::config_error(
        "WORKER_HEARTBEAT_TTL_MS must be at least twice WORKER_HEARTBEAT_INTERVAL_MS (" +
        std::to_string(settings.heartbeat_interval.count()) +
        "), or one late refresh would make a live worker look dead");
  }
  settings.record_ttl = queue::read_record_ttl(env);
  settings.retry.max_attempts =
      static_cast<int>(env.integer_or("JOB_MAX_ATTEMPTS", defaults.retry.max_attempts, 1, 100));
  settings.retry.base_delay = env.millis_or("JOB_RETRY_BASE_DELAY_MS", defaults.retry.base_delay,
                                            milliseconds(1), milliseconds(3600000));
  settings.retry.max_delay = env.millis_or("JOB_RETRY_MAX_DELAY_MS", defaults.retry.max_delay,
                                           milliseconds(1), milliseconds(24 * 3600000));
  if (settings.retry.max_delay < settings.retry.base_delay) {
    throw config::config_error("JOB_RETRY_MAX_DELAY_MS must be at least JOB_RETRY_BASE_DELAY_MS (" +
                               std::to_string(settings.retry.base_delay.count()) + ")");
  }
  settings.max_deliveries = env.integer_or("JOB_MAX_DELIVERIES", defaults.max_deliveries, 1, 1000);
  settings.consumer_name = env.string_or("WORKER_CONSUMER_NAME", "");
  if (settings.consumer_name.empty()) {
    settings.consumer_name = default_consumer_name();
  }
  return settings;
}

worker_settings read_worker_settings(const config::env_reader& env) {
  worker_settings settings;
  settings.common = config::read_common_settings(env);
  settings.ops_listener =
      config::read_http_listener_settings(env, "WORKER_OPS_HOST", "WORKER_OPS_PORT", 9100);
  settings.jobs = read_job_settings(env);
  settings.memory_bank = memory_bank::read_client_settings(env, settings.common.dev_mode);
  if (settings.memory_bank.add_timeout >= settings.jobs.hard_time_limit) {
    throw config::config_error(
        "MEMORY_BANK_ADD_TIMEOUT_MS must be less than WORKER_HARD_TIME_LIMIT_MS (" +
        std::to_string(settings.jobs.hard_time_limit.count()) +
        "), or an add still waiting for mem0 would be abandoned without its answer");
  }
  return settings;
}

}  // namespace gpt_adapter::worker
