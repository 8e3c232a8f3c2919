#include "common/queue/stream_consumer.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/redis/script.hpp"
#include "common/text/rfc3339.hpp"

namespace gpt_adapter::queue {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;
constexpr auto await_tuple = net::as_tuple(net::use_awaitable);
constexpr milliseconds read_retry_delay{1000};
constexpr std::int64_t hand_back_limit = 10000;
// Poison entries are kept for inspection, but a flood of them must not fill Redis.
constexpr std::string_view dead_stream_max_length = "100000";

// KEYS: stream, the dead consumer's heartbeat key. ARGV: group, dead consumer, this consumer,
// most entries. Atomic, so two live consumers never both take the same entries, and a consumer
// whose heartbeat is back keeps its own. Claims (XCLAIM, which counts a delivery) up to that
// many of its pending entries and removes it from the group once it holds none. Returns
// {claimed entries, ids whose entries were deleted meanwhile (acknowledged here)}, or nil while
// the heartbeat is alive.
const redis::script take_over_script{R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', tonumber(ARGV[4]), ARGV[2])
local ids = {}
for i, item in ipairs(pending) do ids[i] = item[1] end
local entries = {}
local gone = {}
if #ids > 0 then
  local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, unpack(ids))
  local found = {}
  for _, entry in ipairs(claimed) do
    if entry and entry ~= false then
      found[entry[1]] = true
      entries[#entries + 1] = entry
    end
  end
  for _, id in ipairs(ids) do
    if not found[id] then gone[#gone + 1] = id end
  end
  if #gone > 0 then redis.call('XACK', KEYS[1], ARGV[1], unpack(gone)) end
end
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return {entries, gone}
)lua"};

// KEYS: stream, this consumer's heartbeat key. ARGV: group, consumer. Leaves the group and drops
// the heartbeat, unless entries are still pending for it (they wait for a takeover).
const redis::script leave_script{R"lua(
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
)lua"};

void log_failure(std::string_view what, const std::exception_ptr& failure) {
  if (!failure) {
    return;
  }
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    logging::error(std::string(what), {{"error", error.what()}});
  }
}

}  // namespace

std::string heartbeat_key(std::string_view stream, std::string_view group,
                          std::string_view consumer) {
  std::string key(stream);
  key.append(":heartbeat:").append(group).append(":").append(consumer);
  return key;
}

stream_consumer_metrics::stream_consumer_metrics(metrics::registry& registry)
    : consumers_taken_over_(registry.add_counter(
          "gpt_adapter_queue_consumers_taken_over_total",
          "Consumers found dead (heartbeat lapsed) whose pending entries this worker took over, "
          "by stream.",
          {"stream"})),
      entries_taken_over_(registry.add_counter(
          "gpt_adapter_queue_entries_taken_over_total",
          "Entries taken over from dead consumers at once (heartbeat lapsed), by stream.",
          {"stream"})),
      entries_reclaimed_(registry.add_counter(
          "gpt_adapter_queue_entries_reclaimed_total",
          "Entries reclaimed after sitting unacknowledged past the visibility timeout, by stream.",
          {"stream"})) {}

std::shared_ptr<stream_consumer> stream_consumer::create(net::any_io_executor executor,
                                                         consumer_settings settings,
                                                         std::shared_ptr<redis::client> commands,
                                                         redis::connection_options reader_options,
                                                         batch_handler handler,
                                                         stream_consumer_metrics& metrics) {
  return std::make_shared<stream_consumer>(private_tag{}, std::move(executor), std::move(settings),
                                           std::move(commands), std::move(reader_options),
                                           std::move(handler), metrics);
}

stream_consumer::stream_consumer(private_tag, net::any_io_executor executor,
                                 consumer_settings settings,
                                 std::shared_ptr<redis::client> commands,
                                 redis::connection_options reader_options, batch_handler handler,
                                 stream_consumer_metrics& metrics)
    : settings_(std::move(settings)),
      strand_(net::make_strand(executor)),
      commands_(std::move(commands)),
      handler_(std::move(handler)),
      heartbeat_key_(heartbeat_key(settings_.stream, settings_.group, settings_.consumer)),
      consumers_taken_over_(metrics.consumers_taken_over_.labels({settings_.name})),
      entries_taken_over_(metrics.entries_taken_over_.labels({settings_.name})),
      entries_reclaimed_(metrics.entries_reclaimed_.labels({settings_.name})),
      slot_timer_(strand_),
      retry_timer_(strand_),
      liveness_timer_(strand_),
      drain_timer_(strand_) {
  // A blocking read may take the whole block time before Redis answers.
  reader_options.command_timeout += std::max(settings_.block, settings_.batch_max_wait);
  reader_ = redis::client::create(strand_, std::move(reader_options));
}

void stream_consumer::set_hand_back(hand_back_handler hand_back) {
  hand_back_ = std::move(hand_back);
}

void stream_consumer::set_dead_letter_observer(dead_letter_observer observer) {
  dead_observer_ = std::move(observer);
}

void stream_consumer::start() {
  reader_->start();
  net::post(strand_, [self = shared_from_this()] {
    if (self->started_) {
      return;
    }
    self->started_ = true;
    self->loops_running_ = 2;
    const auto on_end = [self](const std::exception_ptr& failure) {
      log_failure("stream consumer loop failed", failure);
      --self->loops_running_;
      self->drain_timer_.cancel();
    };
    net::co_spawn(self->strand_, self->read_loop(), on_end);
    net::co_spawn(self->strand_, self->liveness_loop(), on_end);
  });
}

std::size_t stream_consumer::free_slots() const {
  return in_flight_ >= settings_.concurrency ? 0 : settings_.concurrency - in_flight_;
}

std::size_t stream_consumer::wanted_entries() const {
  const auto room = free_slots() * settings_.batch_size;
  return room > forming_.size() ? room - forming_.size() : 0;
}

net::awaitable<bool> stream_consumer::pause(net::steady_timer& timer, milliseconds duration) {
  if (stopping_) {
    co_return false;
  }
  timer.expires_after(duration);
  co_await timer.async_wait(await_tuple);
  co_return !stopping_;
}

net::awaitable<bool> stream_consumer::ensure_group() {
  if (group_ready_) {
    co_return true;
  }
  try {
    // From the stream's beginning, not `$`: entries added before any worker ran are read too.
    co_await commands_->command("XGROUP", "CREATE", settings_.stream, settings_.group, "0",
                                "MKSTREAM");
    group_ready_ = true;
  } catch (const redis::reply_error& error) {
    group_ready_ = error.code() == "BUSYGROUP";
    if (!group_ready_) {
      logging::warn("cannot create the consumer group yet",
                    {{"stream", settings_.stream}, {"error", error.what()}});
    }
  } catch (const std::exception& error) {
    logging::warn("cannot create the consumer group yet",
                  {{"stream", settings_.stream}, {"error", error.what()}});
  }
  co_return group_ready_;
}

net::awaitable<void> stream_consumer::read_loop() {
  logging::info("stream consumer starting", {{"stream", settings_.stream},
                                             {"consumer", settings_.consumer},
                                             {"concurrency", settings_.concurrency},
                                             {"batch_size", settings_.batch_size}});
  // After a restart under the same consumer name, its own pending entries come first (read from
  // id 0 on), then new ones ('>').
  std::string own_cursor = "0";
  while (!stopping_) {
    if (!co_await ensure_group()) {
      if (!co_await pause(retry_timer_, read_retry_delay)) {
        break;
      }
      continue;
    }
    const auto wanted = wanted_entries();
    if (wanted == 0) {
      co_await pause(slot_timer_, std::chrono::hours(1));
      continue;
    }
    std::string failure;
    try {
      const bool own = !own_cursor.empty();
      auto block = settings_.block;
      if (!forming_.empty()) {
        const auto due = forming_since_ + settings_.batch_max_wait;
        block =
            std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(due - clock::now()));
      }
      std::vector<std::string> command{"XREADGROUP",       "GROUP", settings_.group,
                                       settings_.consumer, "COUNT", std::to_string(wanted)};
      if (!own) {
        command.insert(command.end(), {"BLOCK", std::to_string(block.count())});
      }
      command.insert(command.end(), {"STREAMS", settings_.stream, own ? own_cursor : ">"});
      auto& connection = own ? *commands_ : *reader_;
      auto entries = redis::parse_read(co_await connection.command(std::move(command)));
      if (own) {
        own_cursor = entries.empty() ? std::string() : entries.back().id;
      }
      co_await take(std::move(entries), own);
      dispatch_due();
      continue;
    } catch (const redis::reply_error& error) {
      // The group vanished (Redis restarted without its data, or the stream was deleted):
      // create it again rather than fail forever.
      if (error.code() == "NOGROUP") {
        group_ready_ = false;
      }
      failure = error.what();
    } catch (const std::exception& error) {
      failure = error.what();
    }
    if (stopping_) {
      break;
    }
    logging::warn("reading the stream failed; retrying",
                  {{"stream", settings_.stream}, {"error", failure}});
    if (!co_await pause(retry_timer_, read_retry_delay)) {
      break;
    }
  }
}

net::awaitable<void> stream_consumer::liveness_loop() {
  next_reclaim_ = clock::now() + settings_.claim_interval;
  do {
    try {
      co_await refresh_heartbeat();
      if (group_ready_ && wanted_entries() > 0) {
        co_await take_over_dead_consumers();
      }
      if (group_ready_ && clock::now() >= next_reclaim_ && wanted_entries() > 0) {
        co_await reclaim_idle();
      }
      if (dead_observer_ && settings_.dead_count_interval.count() > 0 &&
          clock::now() >= next_dead_count_) {
        next_dead_count_ = clock::now() + settings_.dead_count_interval;
        dead_observer_(0,
                       (co_await commands_->command("XLEN", settings_.dead_stream)).as_integer());
      }
      dispatch_due();
    } catch (const redis::reply_error& error) {
      if (error.code() == "NOGROUP") {
        group_ready_ = false;
      }
      logging::warn("checking the stream's consumers failed",
                    {{"stream", settings_.stream}, {"error", error.what()}});
    } catch (const std::exception& error) {
      logging::warn("checking the stream's consumers failed",
                    {{"stream", settings_.stream}, {"error", error.what()}});
    }
  } while (co_await pause(liveness_timer_,
                          std::min(settings_.heartbeat_interval, settings_.claim_interval)));
}

net::awaitable<void> stream_consumer::refresh_heartbeat() {
  co_await commands_->command("SET", heartbeat_key_, "1", "PX",
                              std::to_string(settings_.heartbeat_ttl.count()));
}

net::awaitable<void> stream_consumer::take_over_dead_consumers() {
  const auto consumers =
      co_await commands_->command("XINFO", "CONSUMERS", settings_.stream, settings_.group);
  for (const auto& item : consumers.as_array()) {
    std::string name;
    long long idle = 0;
    for (const auto& [key, value] : redis::parse_info_map(item)) {
      if (key == "name") {
        name = value.text;
      } else if (key == "idle" && value.integer) {
        idle = *value.integer;
      }
    }
    // Idle: since it last read or claimed. A live consumer with its heartbeat gone (one of a
    // version without heartbeats) still reads within its block time whenever it has room.
    if (name.empty() || name == settings_.consumer || idle < settings_.heartbeat_ttl.count()) {
      continue;
    }
    const auto wanted = wanted_entries();
    if (wanted == 0) {
      co_return;
    }
    std::vector<std::string> script_keys{settings_.stream,
                                         heartbeat_key(settings_.stream, settings_.group, name)};
    std::vector<std::string> args{settings_.group, name, settings_.consumer,
                                  std::to_string(wanted)};
    const auto answer =
        co_await commands_->eval(take_over_script, std::move(script_keys), std::move(args));
    if (answer.is_nil()) {
      continue;
    }
    auto entries = redis::parse_entries(answer.as_array().at(0));
    if (entries.empty()) {
      continue;
    }
    consumers_taken_over_.inc();
    entries_taken_over_.inc(static_cast<double>(entries.size()));
    logging::warn("entries taken over from a consumer whose heartbeat lapsed",
                  {{"stream", settings_.stream},
                   {"dead_consumer", name},
                   {"entries", entries.size()},
                   {"idle_ms", idle}});
    co_await take(std::move(entries), true);
  }
}

net::awaitable<void> stream_consumer::reclaim_idle() {
  const auto answer =
      co_await commands_->command("XAUTOCLAIM", settings_.stream, settings_.group,
                                  settings_.consumer, std::to_string(settings_.claim_idle.count()),
                                  reclaim_cursor_, "COUNT", std::to_string(wanted_entries()));
  auto claimed = redis::parse_autoclaim(answer);
  reclaim_cursor_ = claimed.next_cursor;
  // Once the whole pending list was scanned, look again after the interval.
  if (reclaim_cursor_ == "0-0") {
    next_reclaim_ = clock::now() + settings_.claim_interval;
  }
  std::erase_if(claimed.entries,
                [this](const redis::stream_entry& entry) { return held_.contains(entry.id); });
  if (claimed.entries.empty()) {
    co_return;
  }
  entries_reclaimed_.inc(static_cast<double>(claimed.entries.size()));
  logging::warn("entries reclaimed from a consumer that held them past the visibility timeout",
                {{"stream", settings_.stream}, {"entries", claimed.entries.size()}});
  co_await take(std::move(claimed.entries), true);
}

net::awaitable<void> stream_consumer::take(std::vector<redis::stream_entry> entries,
                                           bool redelivered) {
  std::vector<std::string> gone;
  std::vector<std::size_t> counted;
  const auto first_new = forming_.size();
  for (auto& entry : entries) {
    if (entry.deleted) {
      gone.push_back(entry.id);
      continue;
    }
    // Our own entries can come back through XAUTOCLAIM while a call holds them for long.
    if (!held_.insert(entry.id).second) {
      continue;
    }
    if (forming_.empty()) {
      forming_since_ = clock::now();
    }
    forming_.push_back({.entry = std::move(entry), .deliveries = 1, .redelivered = redelivered});
  }
  if (!gone.empty()) {
    // Pending ids whose entries were deleted meanwhile: nothing to do but forget them.
    std::vector<std::string> command{"XACK", settings_.stream, settings_.group};
    command.insert(command.end(), gone.begin(), gone.end());
    co_await commands_->command(std::move(command));
  }
  if (!redelivered || !settings_.count_deliveries || forming_.size() == first_new) {
    co_return;
  }
  std::vector<std::vector<std::string>> commands;
  for (auto i = first_new; i < forming_.size(); ++i) {
    const auto& id = forming_[i].entry.id;
    commands.push_back({"XPENDING", settings_.stream, settings_.group, id, id, "1"});
  }
  try {
    const auto answers = co_await commands_->pipeline(std::move(commands));
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (!answers[i].is_error()) {
        forming_[first_new + i].deliveries =
            redis::parse_pending_deliveries(answers[i]).value_or(1);
      }
    }
  } catch (const std::exception& error) {
    // Unknown counts as a first delivery: the entry is handled rather than set aside.
    logging::warn("reading delivery counts failed",
                  {{"stream", settings_.stream}, {"error", error.what()}});
  }
}

void stream_consumer::dispatch_due() {
  while (forming_.size() >= settings_.batch_size && free_slots() > 0) {
    std::vector<delivery> batch(
        std::make_move_iterator(forming_.begin()),
        std::make_move_iterator(forming_.begin() + static_cast<long>(settings_.batch_size)));
    forming_.erase(forming_.begin(), forming_.begin() + static_cast<long>(settings_.batch_size));
    dispatch(std::move(batch));
  }
  if (!forming_.empty() && free_slots() > 0 &&
      (stopping_ || clock::now() >= forming_since_ + settings_.batch_max_wait)) {
    dispatch(std::exchange(forming_, {}));
  }
}

void stream_consumer::dispatch(std::vector<delivery> batch) {
  ++in_flight_;
  net::co_spawn(strand_, run_batch(std::move(batch)),
                [self = shared_from_this()](const std::exception_ptr& failure) {
                  log_failure("stream consumer call failed", failure);
                  --self->in_flight_;
                  // Entries taken over or reclaimed while every slot was busy wait in forming_;
                  // once stopping they stay there, to be handed back.
                  if (!self->stopping_) {
                    self->dispatch_due();
                  }
                  self->slot_timer_.cancel();
                  self->drain_timer_.cancel();
                });
}

net::awaitable<void> stream_consumer::run_batch(std::vector<delivery> batch) {
  while (!batch.empty()) {
    // Once stopping, a call is the last: what still cannot be done stays pending.
    const bool last_call = stopping_;
    std::vector<verdict> verdicts;
    try {
      verdicts = co_await handler_(batch);
    } catch (const std::exception& error) {
      logging::error("handling stream entries failed; they stay pending",
                     {{"stream", settings_.stream}, {"error", error.what()}});
      verdicts.assign(batch.size(), verdict::left_pending());
    }
    verdicts.resize(batch.size(), verdict::left_pending());
    try {
      co_await apply(batch, verdicts);
    } catch (const std::exception& error) {
      logging::warn("acknowledging stream entries failed; they stay pending",
                    {{"stream", settings_.stream}, {"error", error.what()}});
    }
    std::vector<delivery> again;
    milliseconds delay{0};
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (verdicts[i].what == verdict::kind::retry_later) {
        delay = std::max(delay, verdicts[i].delay);
        again.push_back(std::move(batch[i]));
      } else {
        held_.erase(batch[i].entry.id);
      }
    }
    batch = std::move(again);
    if (batch.empty()) {
      break;
    }
    if (last_call) {
      for (const auto& left : batch) {
        held_.erase(left.entry.id);
      }
      break;
    }
    if (!stopping_) {
      net::steady_timer wait(strand_, delay);
      retry_waits_.push_back(&wait);
      co_await wait.async_wait(await_tuple);
      std::erase(retry_waits_, &wait);
    }
  }
}

net::awaitable<void> stream_consumer::apply(const std::vector<delivery>& batch,
                                            const std::vector<verdict>& verdicts) {
  std::vector<std::string> done;
  std::vector<std::vector<std::string>> commands{{"MULTI"}};
  std::size_t dead = 0;
  const auto now = text::utc_now_rfc3339();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& entry = batch[i].entry;
    const auto& decided = verdicts[i];
    if (decided.what == verdict::kind::dead) {
      auto& command = commands.emplace_back(std::vector<std::string>{
          "XADD", settings_.dead_stream, "MAXLEN", "~", std::string(dead_stream_max_length), "*"});
      for (const auto& [name, value] : entry.fields) {
        command.push_back(name);
        command.push_back(value);
      }
      if (!decided.detail.empty()) {
        command.insert(command.end(), {std::string(dead_fields::last_error), decided.detail});
      }
      command.insert(command.end(), {std::string(dead_fields::reason), decided.reason,
                                     std::string(dead_fields::source_id), entry.id,
                                     std::string(dead_fields::failed_at), now});
      logging::error("stream entry set aside in the dead stream",
                     {{"stream", settings_.stream},
                      {"entry_id", entry.id},
                      {"dead_stream", settings_.dead_stream},
                      {"reason", decided.reason},
                      {"error", decided.detail}});
      ++dead;
    }
    if (decided.what == verdict::kind::ack || decided.what == verdict::kind::dead) {
      done.push_back(entry.id);
    }
  }
  if (done.empty()) {
    co_return;
  }
  // XACK and XDEL together: an acknowledged entry is never read again, so it is deleted at once
  // rather than left for trimming (which could not tell it from a pending one).
  std::vector<std::string> ack{"XACK", settings_.stream, settings_.group};
  ack.insert(ack.end(), done.begin(), done.end());
  commands.push_back(std::move(ack));
  std::vector<std::string> remove{"XDEL", settings_.stream};
  remove.insert(remove.end(), done.begin(), done.end());
  commands.push_back(std::move(remove));
  if (dead > 0) {
    commands.push_back({"XLEN", settings_.dead_stream});
  }
  commands.push_back({"EXEC"});
  const auto replies = co_await commands_->pipeline(std::move(commands));
  for (const auto& answer : replies) {
    answer.throw_if_error();
  }
  if (dead > 0 && dead_observer_) {
    dead_observer_(dead, replies.back().as_array().back().as_integer());
  }
}

net::awaitable<void> stream_consumer::hand_back_held() {
  std::vector<std::string> ids;
  try {
    const auto answer =
        co_await commands_->command("XPENDING", settings_.stream, settings_.group, "-", "+",
                                    std::to_string(hand_back_limit), settings_.consumer);
    for (const auto& item : answer.as_array()) {
      ids.push_back(item.as_array().at(0).as_string());
    }
  } catch (const std::exception& error) {
    logging::error(
        "cannot list the entries this consumer holds; another takes them over once "
        "its heartbeat lapses",
        {{"stream", settings_.stream}, {"error", error.what()}});
    co_return;
  }
  for (const auto& id : ids) {
    try {
      auto entries =
          redis::parse_entries(co_await commands_->command("XRANGE", settings_.stream, id, id));
      if (entries.empty()) {
        co_await commands_->command("XACK", settings_.stream, settings_.group, id);
        continue;
      }
      co_await hand_back_(entries.front());
    } catch (const std::exception& error) {
      logging::error("handing back an entry failed; another consumer takes it over",
                     {{"stream", settings_.stream}, {"entry_id", id}, {"error", error.what()}});
    }
  }
}

net::awaitable<void> stream_consumer::leave_group() {
  try {
    std::vector<std::string> script_keys{settings_.stream, heartbeat_key_};
    std::vector<std::string> args{settings_.group, settings_.consumer};
    co_await commands_->eval(leave_script, std::move(script_keys), std::move(args));
  } catch (const std::exception& error) {
    logging::warn("leaving the consumer group failed",
                  {{"stream", settings_.stream}, {"error", error.what()}});
  }
}

void stream_consumer::stop_claiming_on_strand() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  // Closing the reader's connection ends a blocked XREADGROUP at once; entries Redis delivered
  // just before are in this consumer's pending list and are handed back by stop().
  reader_->stop();
  slot_timer_.cancel();
  retry_timer_.cancel();
  liveness_timer_.cancel();
  drain_timer_.cancel();
  for (auto* wait : retry_waits_) {
    wait->cancel();
  }
}

void stream_consumer::stop_claiming() {
  net::post(strand_, [self = shared_from_this()] { self->stop_claiming_on_strand(); });
}

net::awaitable<void> stream_consumer::stop(milliseconds grace) {
  co_await net::post(strand_, net::use_awaitable);
  if (stopped_ || !started_) {
    co_return;
  }
  stopped_ = true;
  stop_claiming_on_strand();
  dispatch_due();
  const auto deadline = clock::now() + grace;
  while ((in_flight_ > 0 || loops_running_ > 0) && clock::now() < deadline) {
    drain_timer_.expires_at(deadline);
    co_await drain_timer_.async_wait(await_tuple);
  }
  if (hand_back_) {
    co_await hand_back_held();
  }
  if (in_flight_ == 0) {
    co_await leave_group();
  }
  logging::info("stream consumer stopped",
                {{"stream", settings_.stream}, {"abandoned", in_flight_}});
}

}  // namespace gpt_adapter::queue
