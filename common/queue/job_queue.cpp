#include "common/queue/job_queue.hpp"

#include <algorithm>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "common/logging/logger.hpp"
#include "common/queue/dead_fields.hpp"
#include "common/queue/fields.hpp"
#include "common/queue/keys.hpp"
#include "common/queue/timestamp.hpp"

namespace gpt_adapter::queue {
namespace {

// KEYS: jobs stream, record, then the claim key when ARGV[2] is set, then the companion stream
// when ARGV[5] > 0. ARGV: record TTL ms, claim TTL ms ('' for no claim), then the counts of the
// entry's, the record's and the companion entry's arguments, then those three lists. Returns
// the job's stream id, or nil (writing nothing) when the claim key is taken.
const redis::script enqueue_script{R"lua(
local position = 6
local function take(count)
  local list = {}
  for i = 1, count do list[i] = ARGV[position + i - 1] end
  position = position + count
  return list
end
local entry = take(tonumber(ARGV[3]))
local record = take(tonumber(ARGV[4]))
local companion = take(tonumber(ARGV[5]))
local companion_key = 3
if ARGV[2] ~= '' then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return false end
  companion_key = 4
end
local id = redis.call('XADD', KEYS[1], '*', unpack(entry))
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(record))
redis.call('PEXPIRE', KEYS[2], ARGV[1])
if #companion > 0 then redis.call('XADD', KEYS[companion_key], '*', unpack(companion)) end
return id
)lua"};

// KEYS: record. ARGV: record TTL ms, the status field's name, the three final statuses, then
// the running record's field/value pairs.
const redis::script mark_running_script{R"lua(
local status = redis.call('HGET', KEYS[1], ARGV[2])
if status == ARGV[3] or status == ARGV[4] or status == ARGV[5] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua"};

// KEYS: jobs stream, record, history stream, dead-letter stream, delayed set.
// ARGV: group, entry id, record TTL ms, done channel, notification payload ('' for none), delay
// ms ('' for none), delayed member, then three counted lists (count, pairs...): the record, the
// history entry and the dead-letter entry (count 0 for none).
const redis::script settle_script{R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
local position = 8
local function take()
  local count = tonumber(ARGV[position])
  local list = {}
  for i = 1, count do list[i] = ARGV[position + i] end
  position = position + count + 1
  return list
end
local record = take()
local history = take()
local dead = take()
if #record > 0 then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], unpack(record))
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
if #history > 0 then redis.call('XADD', KEYS[3], '*', unpack(history)) end
if #dead > 0 then redis.call('XADD', KEYS[4], '*', unpack(dead)) end
if ARGV[6] ~= '' then
  local now = redis.call('TIME')
  local due = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[6])
  redis.call('ZADD', KEYS[5], string.format('%d', due), ARGV[7])
end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
)lua"};

// KEYS: delayed set, jobs stream. ARGV: most members to move. A member is the job's stream
// fields as a JSON array of alternating names and values.
const redis::script move_due_script{R"lua(
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now_ms),
                       'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', unpack(cjson.decode(member)))
  redis.call('ZREM', KEYS[1], member)
end
return #due
)lua"};

// KEYS: jobs stream, record. ARGV: group, entry id, record TTL ms, the status and updated_at
// fields' names, running, queued, updated_at, then the entry's field/value pairs.
const redis::script hand_back_script{R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 9))
redis.call('XDEL', KEYS[1], ARGV[2])
if redis.call('HGET', KEYS[2], ARGV[4]) == ARGV[6] then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[7], ARGV[5], ARGV[8])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
)lua"};

// KEYS: dead-letter stream, jobs stream, record. ARGV: dead letter id, record TTL ms, the
// created_at field's name, the count of the entry's arguments, the entry's field/value pairs,
// then the queued record's.
const redis::script replay_job_script{R"lua(
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local count = tonumber(ARGV[4])
local entry = {}
for i = 1, count do entry[i] = ARGV[4 + i] end
local id = redis.call('XADD', KEYS[2], '*', unpack(entry))
local created = redis.call('HGET', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], unpack(ARGV, 5 + count))
if created then redis.call('HSET', KEYS[3], ARGV[3], created) end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[1])
return id
)lua"};

// KEYS: dead stream, the stream it was set aside from. ARGV: dead entry id, then the fields.
const redis::script replay_entry_script{R"lua(
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
)lua"};

// KEYS: dead stream.
const redis::script purge_script{R"lua(
local count = redis.call('XLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return count
)lua"};

void append_pairs(std::vector<std::string>& command, const stream_fields& pairs) {
  for (const auto& [name, value] : pairs) {
    command.push_back(name);
    command.push_back(value);
  }
}

void append_counted(std::vector<std::string>& command, const stream_fields& pairs) {
  command.push_back(std::to_string(pairs.size() * 2));
  append_pairs(command, pairs);
}

std::string delayed_member(const job& value) {
  boost::json::array pairs;
  for (const auto& [name, text] : encode(value)) {
    pairs.emplace_back(name);
    pairs.emplace_back(text);
  }
  return boost::json::serialize(pairs);
}

std::string ttl_text(std::chrono::milliseconds ttl) {
  return std::to_string(ttl.count());
}

time_point now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

job_queue::job_queue(redis::client& redis, std::chrono::milliseconds record_ttl)
    : redis_(redis), record_ttl_(record_ttl) {}

boost::asio::awaitable<void> job_queue::ensure_streams() {
  try {
    co_await redis_.command("XGROUP", "CREATE", keys::jobs_stream, keys::consumer_group, "0",
                            "MKSTREAM");
  } catch (const redis::reply_error& failure) {
    if (failure.code() != "BUSYGROUP") {
      throw;
    }
  }
}

boost::asio::awaitable<std::string> job_queue::enqueue(const job& value) {
  const enqueue_extras none;
  auto id = co_await enqueue_with(value, none);
  co_return std::move(id).value();
}

boost::asio::awaitable<std::optional<std::string>> job_queue::enqueue_with(
    const job& value, const enqueue_extras& extras) {
  std::vector<std::string> script_keys{std::string(keys::jobs_stream),
                                       keys::job_record(value.request_id)};
  if (extras.claim_key) {
    script_keys.push_back(*extras.claim_key);
  }
  if (!extras.companion_fields.empty()) {
    script_keys.push_back(extras.companion_stream);
  }
  const auto entry = encode(value);
  const auto record = encode_record(queued_record(value));
  std::vector<std::string> args;
  args.reserve(5 + 2 * (entry.size() + record.size() + extras.companion_fields.size()));
  args.push_back(ttl_text(record_ttl_));
  args.push_back(extras.claim_key ? ttl_text(extras.claim_ttl) : std::string());
  args.push_back(std::to_string(entry.size() * 2));
  args.push_back(std::to_string(record.size() * 2));
  args.push_back(std::to_string(extras.companion_fields.size() * 2));
  append_pairs(args, entry);
  append_pairs(args, record);
  append_pairs(args, extras.companion_fields);
  const auto answer = co_await redis_.eval(enqueue_script, std::move(script_keys), std::move(args));
  if (answer.is_nil()) {
    co_return std::nullopt;
  }
  // Accepted only once the replicas a failover would promote have it too (when configured).
  co_await redis_.wait_for_replicas();
  co_return answer.as_string();
}

boost::asio::awaitable<std::optional<job_record>> job_queue::read_record(
    std::string_view request_id) {
  const auto answer = co_await redis_.command("HGETALL", keys::job_record(request_id));
  const auto& items = answer.as_array();
  if (items.empty()) {
    co_return std::nullopt;
  }
  stream_fields pairs;
  for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
    pairs.emplace_back(items[i].as_string(), items[i + 1].as_string());
  }
  auto decoded = decode_record(pairs);
  if (!decoded) {
    logging::error("job record cannot be read", {{"request_id", std::string(request_id)},
                                                 {"field", decoded.error().field},
                                                 {"error", decoded.error().message}});
    co_return std::nullopt;
  }
  co_return std::move(decoded).value();
}

boost::asio::awaitable<bool> job_queue::mark_running(const job& value) {
  auto record = queued_record(value);
  record.status = job_status::running;
  record.attempts = value.attempt;
  record.updated_at = now();
  std::vector<std::string> script_keys{keys::job_record(value.request_id)};
  std::vector<std::string> args{ttl_text(record_ttl_), std::string(record_fields::status),
                                std::string(to_string(job_status::succeeded)),
                                std::string(to_string(job_status::failed)),
                                std::string(to_string(job_status::dead))};
  append_pairs(args, encode_record(record));
  const auto answer =
      co_await redis_.eval(mark_running_script, std::move(script_keys), std::move(args));
  co_return answer.as_integer() == 1;
}

boost::asio::awaitable<bool> job_queue::settle(const settlement& change) {
  std::vector<std::string> script_keys{
      std::string(keys::jobs_stream), keys::job_record(change.request_id),
      std::string(keys::history_stream), std::string(keys::dead_letter_stream),
      std::string(keys::delayed_set)};
  std::vector<std::string> args;
  args.emplace_back(keys::consumer_group);
  args.push_back(change.entry_id);
  args.push_back(ttl_text(record_ttl_));
  args.emplace_back(keys::job_done_channel);
  args.push_back(change.notify ? change.request_id : std::string());
  args.push_back(change.delayed_job ? std::to_string(change.delay.count()) : std::string());
  args.push_back(change.delayed_job ? delayed_member(*change.delayed_job) : std::string());
  append_counted(args, change.record ? encode_record(*change.record) : stream_fields{});
  append_counted(args, change.outcome ? encode_outcome(*change.outcome) : stream_fields{});
  append_counted(args, change.dead_letter ? *change.dead_letter : stream_fields{});
  const auto answer = co_await redis_.eval(settle_script, std::move(script_keys), std::move(args));
  co_return answer.as_integer() == 1;
}

stream_fields dead_letter_fields(const job& value, dead_letter_reason reason,
                                 std::string_view last_error, std::optional<int> memory_bank_status,
                                 std::string_view source_id, time_point failed_at) {
  auto entry = encode(value);
  entry.emplace_back(dead_fields::reason, std::string(to_string(reason)));
  entry.emplace_back(dead_fields::last_error, std::string(last_error));
  if (memory_bank_status) {
    entry.emplace_back(dead_fields::memory_bank_status, std::to_string(*memory_bank_status));
  }
  entry.emplace_back(dead_fields::attempts, std::to_string(value.attempt));
  entry.emplace_back(dead_fields::failed_at, format_timestamp(failed_at));
  entry.emplace_back(dead_fields::source_id, std::string(source_id));
  return entry;
}

boost::asio::awaitable<std::int64_t> job_queue::move_due(std::int64_t limit) {
  std::vector<std::string> script_keys{std::string(keys::delayed_set),
                                       std::string(keys::jobs_stream)};
  std::vector<std::string> args{std::to_string(limit)};
  const auto answer =
      co_await redis_.eval(move_due_script, std::move(script_keys), std::move(args));
  co_return answer.as_integer();
}

boost::asio::awaitable<bool> job_queue::hand_back(const redis::stream_entry& entry) {
  const std::string* request_id = fields::find(entry.fields, "request_id");
  std::vector<std::string> script_keys{std::string(keys::jobs_stream),
                                       keys::job_record(request_id != nullptr ? *request_id : "")};
  std::vector<std::string> args;
  args.emplace_back(keys::consumer_group);
  args.push_back(entry.id);
  args.push_back(ttl_text(record_ttl_));
  args.emplace_back(record_fields::status);
  args.emplace_back(record_fields::updated_at);
  args.emplace_back(to_string(job_status::running));
  args.emplace_back(to_string(job_status::queued));
  args.push_back(format_timestamp(now()));
  append_pairs(args, entry.fields);
  const auto answer =
      co_await redis_.eval(hand_back_script, std::move(script_keys), std::move(args));
  co_return answer.as_integer() == 1;
}

boost::asio::awaitable<backlog> job_queue::read_backlog() {
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"XLEN", std::string(keys::jobs_stream)});
  commands.push_back(
      {"XPENDING", std::string(keys::jobs_stream), std::string(keys::consumer_group)});
  commands.push_back({"ZCARD", std::string(keys::delayed_set)});
  commands.push_back({"XLEN", std::string(keys::dead_letter_stream)});
  commands.push_back({"XRANGE", std::string(keys::jobs_stream), "-", "+", "COUNT", "1"});
  commands.push_back({"TIME"});
  const auto answers = co_await redis_.pipeline(std::move(commands));
  backlog result;
  const auto length = answers.at(0).as_integer();
  // NOGROUP before the group exists: nothing is pending.
  if (!answers.at(1).is_error()) {
    result.pending = answers.at(1).as_array().at(0).as_integer();
  }
  result.undelivered = length > result.pending ? length - result.pending : 0;
  result.delayed = answers.at(2).as_integer();
  result.dead = answers.at(3).as_integer();
  const auto& first = answers.at(4).as_array();
  if (!first.empty()) {
    const auto& now = answers.at(5).as_array();
    const auto now_ms =
        std::stoll(now.at(0).as_string()) * 1000 + std::stoll(now.at(1).as_string()) / 1000;
    if (const auto queued_ms = stream_id_millis(first.at(0).as_array().at(0).as_string())) {
      result.oldest_age_ms = std::max<std::int64_t>(0, now_ms - *queued_ms);
    }
  }
  co_return result;
}

boost::asio::awaitable<std::optional<std::string>> job_queue::replay_dead_job(
    std::string_view dead_id, const job& value) {
  std::vector<std::string> script_keys{std::string(keys::dead_letter_stream),
                                       std::string(keys::jobs_stream),
                                       keys::job_record(value.request_id)};
  const auto entry = encode(value);
  std::vector<std::string> args{std::string(dead_id), ttl_text(record_ttl_),
                                std::string(record_fields::created_at),
                                std::to_string(entry.size() * 2)};
  append_pairs(args, entry);
  append_pairs(args, encode_record(queued_record(value)));
  const auto answer =
      co_await redis_.eval(replay_job_script, std::move(script_keys), std::move(args));
  if (answer.is_nil()) {
    co_return std::nullopt;
  }
  co_return answer.as_string();
}

boost::asio::awaitable<std::optional<std::string>> job_queue::replay_dead_entry(
    std::string_view dead_stream, std::string_view dead_id, std::string_view stream,
    const stream_fields& fields) {
  std::vector<std::string> script_keys{std::string(dead_stream), std::string(stream)};
  std::vector<std::string> args{std::string(dead_id)};
  append_pairs(args, fields);
  const auto answer =
      co_await redis_.eval(replay_entry_script, std::move(script_keys), std::move(args));
  if (answer.is_nil()) {
    co_return std::nullopt;
  }
  co_return answer.as_string();
}

boost::asio::awaitable<std::int64_t> job_queue::purge_dead(std::string_view dead_stream) {
  std::vector<std::string> script_keys{std::string(dead_stream)};
  std::vector<std::string> no_args;
  co_return (co_await redis_.eval(purge_script, std::move(script_keys), std::move(no_args)))
      .as_integer();
}

std::optional<std::int64_t> stream_id_millis(std::string_view id) {
  const auto dash = id.find('-');
  const auto millis = id.substr(0, dash);
  if (millis.empty() || millis.size() > 18) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (const char digit : millis) {
    if (digit < '0' || digit > '9') {
      return std::nullopt;
    }
    value = value * 10 + (digit - '0');
  }
  return value;
}

}  // namespace gpt_adapter::queue
