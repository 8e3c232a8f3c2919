#include "worker/job_metrics.hpp"

#include <string>

#include "common/queue/job.hpp"
#include "common/queue/retry_policy.hpp"

namespace gpt_adapter::worker {

job_metrics::job_metrics(metrics::registry& registry)
    : processed(registry.add_counter(
          "gpt_adapter_jobs_processed_total",
          "Job attempts finished, by operation and outcome (succeeded, failed, retry, delayed, "
          "awaiting_event, dead, duplicate).",
          {"operation", "outcome"})),
      duration(registry.add_histogram("gpt_adapter_job_duration_seconds",
                                      "Time one job attempt took, by operation.", {"operation"})),
      retries(registry.add_counter("gpt_adapter_job_retries_total",
                                   "Attempts that failed and were scheduled again.",
                                   {"operation"})),
      dead_lettered(registry.add_counter("gpt_adapter_jobs_dead_lettered_total",
                                         "Jobs moved to the dead-letter stream, by reason.",
                                         {"operation", "reason"})),
      past_soft_limit(registry.add_counter(
          "gpt_adapter_job_soft_time_limit_exceeded_total",
          "Job attempts still running at WORKER_SOFT_TIME_LIMIT_MS, by operation: the warning "
          "before WORKER_HARD_TIME_LIMIT_MS abandons them.",
          {"operation"})),
      in_flight(
          registry.add_gauge("gpt_adapter_jobs_in_flight", "Jobs this worker is running.").get()),
      queue_jobs(registry.add_gauge(
          "gpt_adapter_queue_jobs",
          "Jobs in the queue by state: undelivered (waiting to be read), pending (read, not "
          "acknowledged), delayed (waiting for a retry), dead (dead-letter stream).",
          {"state"})),
      backlog(registry
                  .add_gauge("gpt_adapter_queue_backlog_jobs",
                             "Undelivered + pending + delayed jobs: the autoscaling signal.")
                  .get()),
      oldest_age(registry
                     .add_gauge("gpt_adapter_queue_oldest_job_age_seconds",
                                "Age of the oldest job in the stream (undelivered or pending) "
                                "since it was last queued; 0 when the stream is empty.")
                     .get()) {
  // Every known series from the start, at 0: rate() and increase() then see the first retry
  // or dead letter instead of a series appearing with it.
  using queue::dead_letter_reason;
  using queue::operation;
  for (const auto op :
       {operation::search, operation::create, operation::get, operation::list, operation::update,
        operation::remove, operation::history, operation::forget}) {
    const std::string name(to_string(op));
    retries.labels({name});
    for (const auto reason : {dead_letter_reason::exhausted, dead_letter_reason::not_retryable,
                              dead_letter_reason::past_deadline, dead_letter_reason::redelivered}) {
      dead_lettered.labels({name, std::string(to_string(reason))});
    }
  }
}

}  // namespace gpt_adapter::worker
