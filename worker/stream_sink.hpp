#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/metrics/registry.hpp"
#include "common/postgres/pool.hpp"
#include "common/queue/stream_consumer.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"
#include "worker/delivery_settings.hpp"

// Durable delivery from a Redis stream into PostgreSQL: entries are read with a consumer group
// (queue::stream_consumer), written in batches, and acknowledged (and deleted) only after the
// write committed. Until then
// they stay in the group's pending list, so neither a PostgreSQL outage nor a crash loses one,
// and the writes are idempotent, so an entry written twice (a crash between COMMIT and XACK, a
// takeover by another worker) is stored once.
namespace gpt_adapter::worker {

// One INSERT of a batch. Row-level security is FORCED on the target tables and checks each row
// against app.application_id, so a statement only carries rows of one application and runs
// after set_config('app.application_id', application_id, true).
struct application_statement {
  std::string application_id;
  std::string sql;
  std::vector<postgres::param> params;
  std::size_t rows = 0;
};

// An entry that can never be written (undecodable, or refused by PostgreSQL's constraints).
struct rejected_entry {
  std::string id;
  std::string reason;
};

struct prepared_batch {
  std::vector<application_statement> statements;
  std::vector<rejected_entry> rejected;
};

// What one sink reads and how its entries become SQL. `prepare` is pure.
struct sink_destination {
  std::string name;  // the `sink` label of the metrics, and in logs
  std::string stream;
  std::string group;
  std::string dead_stream;  // where rejected entries go, with the reason
  std::function<prepared_batch(const std::vector<redis::stream_entry>&)> prepare;
};

// The metric families, registered once and shared by every sink (labelled by sink).
class stream_sink_metrics {
 public:
  explicit stream_sink_metrics(metrics::registry& registry);

 private:
  friend class stream_sink;
  metrics::family<metrics::counter>& written_;
  metrics::family<metrics::counter>& rejected_;
  metrics::family<metrics::counter>& write_failures_;
  metrics::family<metrics::histogram>& batch_size_;
  metrics::family<metrics::histogram>& batch_duration_;
  metrics::family<metrics::gauge>& lag_;
  metrics::family<metrics::gauge>& waiting_;
  metrics::family<metrics::gauge>& dead_;
};

// The PostgreSQL policy on top of the queue's stream consumer: each batch is written in one
// transaction and acknowledged only after it committed; while PostgreSQL is unavailable the
// batch is retried with exponential backoff and nothing more is read; entries PostgreSQL refuses
// are found one by one and go to the dead stream.
class stream_sink : public std::enable_shared_from_this<stream_sink> {
  struct private_tag {};

 public:
  struct connections {
    std::shared_ptr<postgres::pool> database;
    // Shared, non-blocking commands (XACK, XDEL, XAUTOCLAIM...).
    std::shared_ptr<redis::client> redis;
    // The sink's own connection for XREADGROUP ... BLOCK, which would hold up every command
    // queued behind it on a shared one.
    redis::connection_options reader;
  };

  static std::shared_ptr<stream_sink> create(boost::asio::any_io_executor executor,
                                             sink_destination destination,
                                             stream_sink_settings settings, connections targets,
                                             std::string consumer, stream_sink_metrics& metrics,
                                             queue::stream_consumer_metrics& consumer_metrics);
  stream_sink(private_tag, sink_destination destination, stream_sink_settings settings,
              connections targets, stream_sink_metrics& metrics);

  void start();
  // Stops reading, writes the batch in hand once more (what cannot be written stays pending
  // for a takeover) and returns when the sink has finished. Idempotent.
  boost::asio::awaitable<void> stop();

 private:
  using clock = std::chrono::steady_clock;
  struct one_by_one_result {
    std::vector<rejected_entry> rejected;
    std::size_t stored = 0;
  };

  boost::asio::awaitable<std::vector<queue::verdict>> write_batch(
      const std::vector<queue::delivery>& batch);
  // Runs the statements in one transaction; returns the rows inserted or updated.
  boost::asio::awaitable<std::size_t> write(const std::vector<application_statement>& statements);
  // After a batch was refused for its data, writes its entries one by one and returns those
  // PostgreSQL refused; nullopt when it became unavailable meanwhile.
  boost::asio::awaitable<std::optional<one_by_one_result>> write_one_by_one(
      const std::vector<redis::stream_entry>& entries);
  void show_waiting(const std::vector<redis::stream_entry>& entries);

  sink_destination destination_;
  stream_sink_settings settings_;
  connections targets_;
  std::shared_ptr<queue::stream_consumer> consumer_;
  std::chrono::milliseconds retry_delay_;  // touched by write_batch only: one call at a time

  metrics::counter& written_;
  metrics::counter& rejected_;
  metrics::counter& write_failures_;
  metrics::histogram& batch_size_;
  metrics::histogram& batch_duration_;
  metrics::gauge& lag_;
  metrics::gauge& waiting_;
  metrics::gauge& dead_;
};

// The VALUES list of a multi-row INSERT: `rows` tuples of placeholders, numbered from $1, each
// cast to its column's type ("uuid", "jsonb"; empty for text), e.g. ($1::uuid, $2), ($3::uuid, $4).
std::string values_placeholders(std::size_t rows,
                                const std::vector<std::string_view>& column_types);

// Whether a PostgreSQL error is about the rows themselves (bad data, a violated constraint or
// row-level security policy), so writing them again cannot succeed, as opposed to the database
// being unavailable or misconfigured, which a later retry can outlast.
bool is_rejection_of_data(const postgres::error& failure);

}  // namespace gpt_adapter::worker
