#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/audit/keys.hpp"
#include "common/auth/value_or_error.hpp"
#include "common/queue/dead_fields.hpp"
#include "common/queue/job.hpp"
#include "common/queue/keys.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"

// What the `queue` and `dlq` commands read and change in Redis: the job pipeline's streams,
// the delayed set and the dead streams.
namespace gpt_adapter::admin {

// A stream of the job pipeline, its consumer group, and the dead stream where its consumers set
// aside what they can never handle: the jobs' dead letters, the sinks' rejected entries.
struct watched_stream {
  std::string_view name;  // as `queue stats` shows it and `dlq --stream` takes it
  std::string_view key;
  std::string_view group;
  std::string_view dead_key;
};

inline constexpr watched_stream jobs_stream{
    "jobs", queue::keys::jobs_stream, queue::keys::consumer_group, queue::keys::dead_letter_stream};
inline constexpr watched_stream watched_streams[] = {
    jobs_stream,
    {"job_history", queue::keys::history_stream, queue::keys::history_group,
     queue::keys::history_dead_stream},
    {"audit", audit::keys::stream, audit::keys::consumer_group, audit::keys::dead_stream},
};

// The watched stream of that name, or nullopt.
std::optional<watched_stream> watched_stream_named(std::string_view name);

struct consumer_stats {
  std::string name;
  long long pending = 0;
  long long idle_ms = 0;  // since the consumer last read or claimed
};

struct stream_stats {
  std::string name;  // jobs, job_history, audit
  std::string key;
  std::string group;
  long long length = 0;
  bool group_exists = false;
  // Entries not yet delivered to the group; nullopt when Redis cannot tell (after deletions
  // between the last delivered and the last added id).
  std::optional<long long> lag;
  long long pending = 0;  // delivered, not yet acknowledged
  std::string last_delivered_id;
  std::vector<consumer_stats> consumers;
  // Where the stream's consumers set aside what they can never handle (the jobs' dead letters,
  // the sinks' rejected entries), and how many entries are there.
  std::string dead_key;
  long long dead = 0;
};

struct queue_stats {
  std::vector<stream_stats> streams;  // the jobs stream first: its dead entries are dead letters
  long long delayed = 0;              // jobs waiting for a retry
};

boost::asio::awaitable<queue_stats> read_queue_stats(redis::client& redis);

// Every dead letter carries the job's own fields plus these, set when it died.
inline constexpr std::string_view dead_letter_fields[] = {queue::dead_fields::reason,
                                                          queue::dead_fields::last_error,
                                                          queue::dead_fields::memory_bank_status,
                                                          queue::dead_fields::attempts,
                                                          queue::dead_fields::failed_at,
                                                          queue::dead_fields::source_id};
// What queue::stream_consumer appends, in this order, to an entry a sink sets aside.
inline constexpr std::string_view sink_dead_entry_fields[] = {
    queue::dead_fields::reason, queue::dead_fields::source_id, queue::dead_fields::failed_at};

struct dead_letter {
  std::string id;
  redis::field_list fields;

  // The value of a field, or nullopt.
  std::optional<std::string> field(std::string_view name) const;
};

// The entries of `stream`'s dead stream, oldest first, at most `limit`, starting after `after`
// when given.
boost::asio::awaitable<std::vector<dead_letter>> list_dead_letters(
    redis::client& redis, watched_stream stream, std::size_t limit,
    std::optional<std::string> after = std::nullopt);
boost::asio::awaitable<std::optional<dead_letter>> find_dead_letter(redis::client& redis,
                                                                    watched_stream stream,
                                                                    std::string id);

// The job a dead letter is replayed as: its own fields (without the dead-letter ones), attempt
// 1, enqueued now, with a deadline as far from now as the original was from its enqueueing.
// The error says why the entry is not a job that can be replayed.
auth::value_or_error<queue::job, std::string> replayed_job(const dead_letter& letter,
                                                           queue::time_point now);

// Atomically (queue::job_queue::replay_dead_job): adds the job to the jobs stream, sets its record
// back to queued (refreshing its TTL) and deletes the dead letter. Returns the new stream id, or
// nullopt if the dead letter no longer exists (replayed or purged meanwhile).
boost::asio::awaitable<std::optional<std::string>> replay_dead_letter(
    redis::client& redis, const dead_letter& letter, const queue::job& job,
    std::chrono::seconds record_ttl);

// The fields a sink's dead entry had in `stream` (the sink's source), without those the sink
// appended. The error says why it is not replayed: the sink did not set it aside, or the sink
// cannot decode it, so it would only be set aside again.
auth::value_or_error<redis::field_list, std::string> replayed_sink_entry(watched_stream stream,
                                                                         const dead_letter& entry);

// Atomically (queue::job_queue::replay_dead_entry): adds the fields to `stream` as a new entry,
// which its sink reads and writes again, and deletes the dead entry. Returns the new stream id, or
// nullopt if the dead entry no longer exists (replayed or purged meanwhile).
boost::asio::awaitable<std::optional<std::string>> replay_sink_entry(redis::client& redis,
                                                                     watched_stream stream,
                                                                     std::string id,
                                                                     redis::field_list fields);

// Whether the entry existed.
boost::asio::awaitable<bool> purge_dead_letter(redis::client& redis, watched_stream stream,
                                               std::string id);
// How many were deleted.
boost::asio::awaitable<long long> purge_all_dead_letters(redis::client& redis,
                                                         watched_stream stream);

}  // namespace gpt_adapter::admin
