#include "worker/stream_sink.hpp"

namespace gpt_adapter::worker {
namespace {

std::vector<double> batch_size_buckets() {
  return {1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000};
}

}  // namespace

stream_sink_metrics::stream_sink_metrics(metrics::registry& registry)
    : written_(registry.add_counter("gpt_adapter_stream_sink_entries_written_total",
                                    "Rows inserted or updated in PostgreSQL from stream entries "
                                    "(an entry delivered twice counts once).",
                                    {"sink"})),
      rejected_(registry.add_counter(
          "gpt_adapter_stream_sink_entries_rejected_total",
          "Stream entries that could not be decoded or were refused by PostgreSQL, moved to the "
          "sink's dead stream.",
          {"sink"})),
      write_failures_(registry.add_counter(
          "gpt_adapter_stream_sink_write_failures_total",
          "Batch writes that failed and will be retried (PostgreSQL unavailable).", {"sink"})),
      batch_size_(registry.add_histogram("gpt_adapter_stream_sink_batch_size_entries",
                                         "Entries per written batch.", {"sink"},
                                         batch_size_buckets())),
      batch_duration_(registry.add_histogram("gpt_adapter_stream_sink_batch_duration_seconds",
                                             "Time to write one batch and acknowledge it.",
                                             {"sink"})),
      lag_(registry.add_gauge("gpt_adapter_stream_sink_lag_seconds",
                              "Age of the oldest entry read but not yet written; 0 when none.",
                              {"sink"})),
      waiting_(registry.add_gauge("gpt_adapter_stream_sink_waiting_entries",
                                  "Entries read and waiting to be written.", {"sink"})),
      dead_(registry.add_gauge(
          "gpt_adapter_stream_sink_dead_entries",
          "Entries in the sink's dead stream (set aside by any worker, kept until an operator "
          "removes them).",
          {"sink"})) {}

}  // namespace gpt_adapter::worker
