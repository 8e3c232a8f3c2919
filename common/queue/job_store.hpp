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
#include "common/queue/retry_policy.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"

// The queue's Redis I/O. Every step that changes more than one key is one Lua script, so a
// crash or a lost connection leaves either all of a transition or none of it; all keys share
// the {gpt-adapter} hash tag. Acknowledged entries are deleted from the jobs stream (XDEL), so
// the stream never needs trimming and holds exactly the pending and not yet delivered jobs.
namespace gpt_adapter::queue {

// Creates the jobs stream and its consumer group if missing (XGROUP CREATE ... 0 MKSTREAM;
// BUSYGROUP is fine). Every process calls it at start, so neither ever appears missing.
boost::asio::awaitable<void> ensure_streams(redis::client& redis);

// Adds a job to the stream and writes its queued record in one step, so a caller can poll the
// record as soon as this returns. Returns the stream id.
boost::asio::awaitable<std::string> enqueue(redis::client& redis, const job& value,
                                            std::chrono::milliseconds record_ttl);

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

// enqueue() with extras. Returns the stream id, or nullopt when the claim key was taken.
boost::asio::awaitable<std::optional<std::string>> enqueue_with(
    redis::client& redis, const job& value, std::chrono::milliseconds record_ttl,
    const enqueue_extras& extras);

// The job's record, or nullopt when there is none (never enqueued, or expired). A record that
// cannot be read is logged and answered as none.
boost::asio::awaitable<std::optional<job_record>> read_record(redis::client& redis,
                                                              std::string_view request_id);

// Marks a delivered job running (status, attempts, updated_at) unless its record already has a
// final status, which happens when another worker finished it after a reclaim. Returns false
// then: the entry is a duplicate to acknowledge without running.
boost::asio::awaitable<bool> mark_running(redis::client& redis, const job& value,
                                          std::chrono::milliseconds record_ttl);

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

// Returns false, changing nothing, when the entry was no longer pending (another worker settled
// it after a reclaim): so each delivery's outcome is recorded at most once.
boost::asio::awaitable<bool> settle(redis::client& redis, const settlement& change,
                                    std::chrono::milliseconds record_ttl);

// The dead-letter entry of a job: queue::encode(job) plus dead_reason, last_error,
// memory_bank_status?, attempts, failed_at and source_id.
stream_fields dead_letter_fields(const job& value, dead_letter_reason reason,
                                 std::string_view last_error, std::optional<int> memory_bank_status,
                                 std::string_view source_id, time_point failed_at);

// Moves up to `limit` delayed jobs that are due (by the Redis server's clock) back into the
// stream; returns how many moved. Every worker runs it on a short interval: the script is
// atomic, so each delayed job moves exactly once.
boost::asio::awaitable<std::int64_t> move_due_jobs(redis::client& redis, std::int64_t limit);

// Gives an entry this consumer holds back to the queue at once: a copy goes to the end of the
// stream, where any worker reads it with '>', and the entry is acknowledged and deleted, all in
// one step; the record says queued again. False when the entry was no longer pending.
boost::asio::awaitable<bool> hand_back(redis::client& redis, const redis::stream_entry& entry,
                                       std::chrono::milliseconds record_ttl);

// The ids this consumer holds in the group's pending list (at most `limit`).
boost::asio::awaitable<std::vector<std::string>> pending_ids(redis::client& redis,
                                                             std::string_view consumer,
                                                             std::int64_t limit);

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

// The millisecond part of a stream id ("1700000000000-3"); nullopt when it is not one.
std::optional<std::int64_t> stream_id_millis(std::string_view id);

boost::asio::awaitable<backlog> read_backlog(redis::client& redis);

}  // namespace gpt_adapter::queue
