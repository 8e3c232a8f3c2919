#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/queue/job.hpp"
#include "common/queue/job_outcome.hpp"
#include "common/queue/job_record.hpp"
#include "common/queue/record_ttl.hpp"
#include "common/queue/retry_policy.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"

// The queue's keyspace and every change to it (see "How a job travels" in the README). Every
// step that changes more than one key is one Lua script, so a crash or a lost connection leaves
// either all of a transition or none of it; all keys share the {gpt-adapter} hash tag. The
// scripts get the record's field names from C++ (record_fields), never spell them.
// Acknowledged entries are deleted from the jobs stream (XDEL), so the stream never needs
// trimming and holds exactly the pending and not yet delivered jobs. Reading the stream as a
// consumer group is queue::stream_consumer's.
namespace gpt_adapter::queue {

// What enqueue_with does besides enqueueing, within the same atomic step (and round trip). Keys
// must carry the {gpt-adapter} hash tag like the queue's own.
struct enqueue_extras {
  // Claimed first with SET NX PX (e.g. a request id the caller chose, which may name one job
  // only): when it is taken, nothing is written.
  std::optional<std::string> claim_key;
  std::chrono::milliseconds claim_ttl{0};
  // One more entry appended to `companion_stream` after the job, e.g. the audit event of the
  // request that enqueued it. Left out when companion_fields is empty.
  std::string companion_stream;
  stream_fields companion_fields;
};

// Everything that ends one delivery of an entry, applied atomically: XACK and XDEL the entry,
// then replace the record, append the history outcome, append the dead letter, schedule the job
// again after a delay, and publish the completion, each when given.
struct settlement {
  std::string entry_id;
  std::string request_id;
  std::optional<job_record> record;
  std::optional<job_outcome> outcome;
  std::optional<stream_fields> dead_letter;
  // The job to run again, due after `delay` (measured on the Redis server's clock).
  std::optional<job> delayed_job;
  std::chrono::milliseconds delay{0};
  // Publishes the request id on the job-done channel after the record is written.
  bool notify = false;
};

// What is waiting, for autoscaling: not yet delivered (the stream holds only unacknowledged
// entries, so this is XLEN minus pending; XINFO's lag is unreliable after XDEL), delivered but
// not acknowledged, delayed, and dead-lettered.
struct backlog {
  std::int64_t undelivered = 0;
  std::int64_t pending = 0;
  std::int64_t delayed = 0;
  std::int64_t dead = 0;
  // Age of the oldest entry in the job stream (waiting or being run), by Redis's own clock: now
  // minus the time in its stream id. 0 when the stream is empty. An entry handed back or
  // retried is added anew, so this is the longest a job has waited since it was last queued.
  std::int64_t oldest_age_ms = 0;
};

// The dead-letter entry of a job: queue::encode(job) plus dead_reason, last_error,
// memory_bank_status?, attempts, failed_at and source_id.
stream_fields dead_letter_fields(const job& value, dead_letter_reason reason,
                                 std::string_view last_error, std::optional<int> memory_bank_status,
                                 std::string_view source_id, time_point failed_at);

// The millisecond part of a stream id ("1700000000000-3"); nullopt when it is not one.
std::optional<std::int64_t> stream_id_millis(std::string_view id);

// A cheap handle: make one where needed. `redis` must outlive it.
class job_queue {
 public:
  // `record_ttl` is JOB_RECORD_TTL_SECONDS: every write of a record refreshes it.
  explicit job_queue(redis::client& redis, std::chrono::milliseconds record_ttl =
                                               std::chrono::seconds(default_record_ttl_seconds));

  // Creates the jobs stream and its consumer group if missing (XGROUP CREATE ... 0 MKSTREAM;
  // BUSYGROUP is fine). Every process calls it at start, so neither ever appears missing.
  boost::asio::awaitable<void> ensure_streams();

  // Adds a job to the stream and writes its queued record in one step, so a caller can poll the
  // record as soon as this returns. Returns the stream id.
  boost::asio::awaitable<std::string> enqueue(const job& value);
  // enqueue() with extras. Returns the stream id, or nullopt when the claim key was taken.
  boost::asio::awaitable<std::optional<std::string>> enqueue_with(const job& value,
                                                                  const enqueue_extras& extras);

  // The job's record, or nullopt when there is none (never enqueued, or expired). A record that
  // cannot be read is logged and answered as none.
  boost::asio::awaitable<std::optional<job_record>> read_record(std::string_view request_id);

  // Marks a delivered job running (status, attempts, updated_at) unless its record already has
  // a final status, which happens when another worker finished it after a reclaim. Returns false
  // then: the entry is a duplicate to acknowledge without running.
  boost::asio::awaitable<bool> mark_running(const job& value);

  // Returns false, changing nothing, when the entry was no longer pending (another worker
  // settled it after a reclaim): so each delivery's outcome is recorded at most once.
  boost::asio::awaitable<bool> settle(const settlement& change);

  // Moves up to `limit` delayed jobs that are due (by the Redis server's clock) back into the
  // stream; returns how many moved. Every worker runs it on a short interval: the script is
  // atomic, so each delayed job moves exactly once.
  boost::asio::awaitable<std::int64_t> move_due(std::int64_t limit);

  // Gives an entry a consumer holds back to the queue at once: a copy goes to the end of the
  // stream, where any worker reads it with '>', and the entry is acknowledged and deleted, all
  // in one step; a running record says queued again. False when it was no longer pending.
  boost::asio::awaitable<bool> hand_back(const redis::stream_entry& entry);

  boost::asio::awaitable<backlog> read_backlog();

  // Atomically: adds `value` (the job a dead letter is replayed as) to the jobs stream, sets its
  // record back to queued (keeping created_at) and deletes the dead letter. Returns the new
  // stream id, or nullopt if the dead letter no longer exists (replayed or purged meanwhile).
  boost::asio::awaitable<std::optional<std::string>> replay_dead_job(std::string_view dead_id,
                                                                     const job& value);
  // Atomically: adds `fields` to `stream` as a new entry (which its sink reads again) and
  // deletes the entry `dead_id` of `dead_stream`. Returns the new id, or nullopt if the dead
  // entry no longer exists.
  boost::asio::awaitable<std::optional<std::string>> replay_dead_entry(std::string_view dead_stream,
                                                                       std::string_view dead_id,
                                                                       std::string_view stream,
                                                                       const stream_fields& fields);
  // Deletes every entry of a dead stream, counted in the same step (a letter arriving meanwhile
  // is not lost uncounted); returns how many.
  boost::asio::awaitable<std::int64_t> purge_dead(std::string_view dead_stream);

 private:
  redis::client& redis_;
  std::chrono::milliseconds record_ttl_;
};

}  // namespace gpt_adapter::queue
