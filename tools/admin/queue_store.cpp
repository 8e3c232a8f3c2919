#include "tools/admin/queue_store.hpp"

#include <algorithm>

#include "common/audit/event.hpp"
#include "common/queue/job_outcome.hpp"
#include "common/queue/job_queue.hpp"
#include "common/queue/timestamp.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;

const redis::info_value* find_info(
    const std::vector<std::pair<std::string, redis::info_value>>& values, std::string_view name) {
  for (const auto& [key, value] : values) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

long long integer_of(const std::vector<std::pair<std::string, redis::info_value>>& values,
                     std::string_view name) {
  const auto* value = find_info(values, name);
  return value != nullptr && value->integer ? *value->integer : 0;
}

asio::awaitable<stream_stats> read_stream_stats(redis::client& redis, watched_stream watched) {
  stream_stats stats{.name = std::string(watched.name),
                     .key = std::string(watched.key),
                     .group = std::string(watched.group),
                     .dead_key = std::string(watched.dead_key)};
  stats.dead = (co_await redis.command("XLEN", watched.dead_key)).as_integer();
  stats.length = (co_await redis.command("XLEN", watched.key)).as_integer();
  if (stats.length == 0 && (co_await redis.command("EXISTS", watched.key)).as_integer() == 0) {
    co_return stats;
  }
  const auto groups = co_await redis.command("XINFO", "GROUPS", watched.key);
  for (const auto& group : groups.as_array()) {
    const auto values = redis::parse_info_map(group);
    const auto* name = find_info(values, "name");
    if (name == nullptr || name->text != watched.group) {
      continue;
    }
    stats.group_exists = true;
    stats.pending = integer_of(values, "pending");
    if (const auto* lag = find_info(values, "lag"); lag != nullptr && lag->integer) {
      stats.lag = *lag->integer;
    }
    if (const auto* last = find_info(values, "last-delivered-id"); last != nullptr) {
      stats.last_delivered_id = last->text;
    }
  }
  if (!stats.group_exists) {
    co_return stats;
  }
  const auto consumers = co_await redis.command("XINFO", "CONSUMERS", watched.key, watched.group);
  for (const auto& consumer : consumers.as_array()) {
    const auto values = redis::parse_info_map(consumer);
    const auto* name = find_info(values, "name");
    stats.consumers.push_back({.name = name != nullptr ? name->text : std::string(),
                               .pending = integer_of(values, "pending"),
                               .idle_ms = integer_of(values, "idle")});
  }
  co_return stats;
}

// Why the sink of `stream` (audit or job_history) could not decode the fields, or nullopt when it
// can.
std::optional<std::string> sink_decode_failure(watched_stream stream,
                                               const redis::field_list& fields) {
  const auto failure = [](const queue::decode_error& error) {
    return std::optional<std::string>(error.field + ": " + error.message);
  };
  if (stream.key == audit::keys::stream) {
    const auto event = audit::decode(fields);
    return event ? std::nullopt : failure(event.error());
  }
  const auto outcome = queue::decode_outcome(fields);
  return outcome ? std::nullopt : failure(outcome.error());
}

}  // namespace

std::optional<watched_stream> watched_stream_named(std::string_view name) {
  for (const auto& stream : watched_streams) {
    if (stream.name == name) {
      return stream;
    }
  }
  return std::nullopt;
}

asio::awaitable<queue_stats> read_queue_stats(redis::client& redis) {
  queue_stats stats;
  for (const auto& watched : watched_streams) {
    stats.streams.push_back(co_await read_stream_stats(redis, watched));
  }
  stats.delayed = (co_await redis.command("ZCARD", queue::keys::delayed_set)).as_integer();
  co_return stats;
}

std::optional<std::string> dead_letter::field(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

asio::awaitable<std::vector<dead_letter>> list_dead_letters(redis::client& redis,
                                                            watched_stream stream,
                                                            std::size_t limit,
                                                            std::optional<std::string> after) {
  // "(id" is an exclusive start (Redis 6.2+).
  const auto start = after ? "(" + *after : std::string("-");
  const auto entries = redis::parse_entries(co_await redis.command(
      "XRANGE", stream.dead_key, start, "+", "COUNT", std::to_string(limit)));
  std::vector<dead_letter> letters;
  for (const auto& entry : entries) {
    letters.push_back({entry.id, entry.fields});
  }
  co_return letters;
}

asio::awaitable<std::optional<dead_letter>> find_dead_letter(redis::client& redis,
                                                             watched_stream stream,
                                                             std::string id) {
  if (!redis::stream_id_milliseconds(id)) {
    co_return std::nullopt;
  }
  const auto entries =
      redis::parse_entries(co_await redis.command("XRANGE", stream.dead_key, id, id));
  if (entries.empty()) {
    co_return std::nullopt;
  }
  co_return dead_letter{entries.front().id, entries.front().fields};
}

auth::value_or_error<queue::job, std::string> replayed_job(const dead_letter& letter,
                                                           queue::time_point now) {
  queue::stream_fields job_fields;
  for (const auto& [name, value] : letter.fields) {
    if (std::find(std::begin(dead_letter_fields), std::end(dead_letter_fields), name) ==
        std::end(dead_letter_fields)) {
      job_fields.emplace_back(name, value);
    }
  }
  auto decoded = queue::decode(job_fields);
  if (!decoded) {
    return "not a valid job: " + decoded.error().field + ": " + decoded.error().message;
  }
  auto job = std::move(decoded).value();
  const auto allowed = job.deadline - job.enqueued_at;
  if (allowed <= std::chrono::milliseconds::zero()) {
    return std::string("not a valid job: its deadline is not after its enqueue time");
  }
  job.attempt = 1;
  job.enqueued_at = now;
  job.deadline = now + allowed;
  return job;
}

asio::awaitable<std::optional<std::string>> replay_dead_letter(redis::client& redis,
                                                               const dead_letter& letter,
                                                               const queue::job& job,
                                                               std::chrono::seconds record_ttl) {
  co_return co_await queue::job_queue(redis, record_ttl).replay_dead_job(letter.id, job);
}

auth::value_or_error<redis::field_list, std::string> replayed_sink_entry(watched_stream stream,
                                                                         const dead_letter& entry) {
  if (stream.key == jobs_stream.key) {
    return std::string("no sink reads the jobs stream: its dead letters are replayed as jobs");
  }
  constexpr auto appended = std::size(sink_dead_entry_fields);
  const auto& fields = entry.fields;
  const auto set_aside_by_sink =
      fields.size() >= appended &&
      std::equal(std::begin(sink_dead_entry_fields), std::end(sink_dead_entry_fields),
                 fields.end() - appended, fields.end(),
                 [](std::string_view name, const auto& field) { return field.first == name; });
  if (!set_aside_by_sink) {
    return "not set aside by the " + std::string(stream.name) +
           " sink: it does not end with dead_reason, source_id and failed_at";
  }
  redis::field_list original(fields.begin(), fields.end() - appended);
  if (const auto failure = sink_decode_failure(stream, original)) {
    return "the " + std::string(stream.name) + " sink cannot decode it: " + *failure;
  }
  return original;
}

asio::awaitable<std::optional<std::string>> replay_sink_entry(redis::client& redis,
                                                              watched_stream stream, std::string id,
                                                              redis::field_list fields) {
  co_return co_await queue::job_queue(redis).replay_dead_entry(stream.dead_key, id, stream.key,
                                                               fields);
}

asio::awaitable<bool> purge_dead_letter(redis::client& redis, watched_stream stream,
                                        std::string id) {
  if (!redis::stream_id_milliseconds(id)) {
    co_return false;
  }
  co_return (co_await redis.command("XDEL", stream.dead_key, id)).as_integer() > 0;
}

asio::awaitable<long long> purge_all_dead_letters(redis::client& redis, watched_stream stream) {
  co_return co_await queue::job_queue(redis).purge_dead(stream.dead_key);
}

}  // namespace gpt_adapter::admin
