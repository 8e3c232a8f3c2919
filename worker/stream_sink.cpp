#include "worker/stream_sink.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/text/rfc3339.hpp"

namespace gpt_adapter::worker {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Poison entries are kept for inspection, but a flood of them must not fill Redis.
constexpr std::string_view dead_stream_max_length = "100000";

std::vector<double> batch_size_buckets() {
  return {1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::string> command_of(std::initializer_list<std::string_view> words,
                                    const std::vector<std::string>& ids = {}) {
  std::vector<std::string> command(words.begin(), words.end());
  command.insert(command.end(), ids.begin(), ids.end());
  return command;
}

}  // namespace

std::string values_placeholders(std::size_t rows,
                                const std::vector<std::string_view>& column_types) {
  std::string text;
  std::size_t number = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    text += row == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < column_types.size(); ++column) {
      text += (column == 0 ? "$" : ", $") + std::to_string(++number);
      if (!column_types[column].empty()) {
        text.append("::").append(column_types[column]);
      }
    }
    text += ')';
  }
  return text;
}

bool is_rejection_of_data(const postgres::error& failure) {
  const auto& sqlstate = failure.sqlstate();
  // 22: data exception (bad uuid, json, timestamp...), 23: integrity constraint violation,
  // 54: program limit exceeded (a row too large). 42501 (insufficient privilege) only when a
  // row-level security policy refused the row: a missing GRANT is the deployment's to fix, and
  // retrying outlasts it, where rejecting would throw every entry away.
  if (sqlstate == "42501") {
    return std::string_view(failure.what()).find("row-level security") != std::string_view::npos;
  }
  return sqlstate.starts_with("22") || sqlstate.starts_with("23") || sqlstate.starts_with("54");
}

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

std::shared_ptr<stream_sink> stream_sink::create(asio::any_io_executor executor,
                                                 sink_destination destination,
                                                 stream_sink_settings settings, connections targets,
                                                 std::string consumer,
                                                 stream_sink_metrics& metrics) {
  return std::make_shared<stream_sink>(private_tag{}, std::move(executor), std::move(destination),
                                       settings, std::move(targets), std::move(consumer), metrics);
}

stream_sink::stream_sink(private_tag, asio::any_io_executor executor, sink_destination destination,
                         stream_sink_settings settings, connections targets, std::string consumer,
                         stream_sink_metrics& metrics)
    : destination_(std::move(destination)),
      settings_(settings),
      targets_(std::move(targets)),
      consumer_(std::move(consumer)),
      strand_(asio::make_strand(executor)),
      finished_(executor, 1),
      pause_timer_(strand_),
      retry_delay_(settings_.retry_initial),
      written_(metrics.written_.labels({destination_.name})),
      rejected_(metrics.rejected_.labels({destination_.name})),
      write_failures_(metrics.write_failures_.labels({destination_.name})),
      batch_size_(metrics.batch_size_.labels({destination_.name})),
      batch_duration_(metrics.batch_duration_.labels({destination_.name})),
      lag_(metrics.lag_.labels({destination_.name})),
      waiting_(metrics.waiting_.labels({destination_.name})),
      dead_(metrics.dead_.labels({destination_.name})) {
  // A blocking read may take the whole batch wait before Redis answers.
  targets_.reader.command_timeout += settings_.batch_max_wait;
  reader_ = redis::client::create(strand_, targets_.reader);
}

void stream_sink::start() {
  if (started_.exchange(true)) {
    return;
  }
  reader_->start();
  asio::co_spawn(strand_, run(), [self = shared_from_this()](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        logging::error("stream sink stopped by an unexpected error",
                       {{"sink", self->destination_.name}, {"error", error.what()}});
      }
    }
    self->reader_->stop();
    self->finished_.try_send(boost::system::error_code{});
  });
}

asio::awaitable<void> stream_sink::stop() {
  if (stopping_.exchange(true) || !started_.load()) {
    co_return;
  }
  // Wakes run() from a blocking read (the command fails) or a retry pause.
  reader_->stop();
  asio::post(strand_, [self = shared_from_this()] { self->pause_timer_.cancel(); });
  co_await finished_.async_receive(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> stream_sink::run() {
  bool group_ready = false;
  logging::info("stream sink started", {{"sink", destination_.name},
                                        {"stream", destination_.stream},
                                        {"consumer", consumer_},
                                        {"batch_size", settings_.batch_size},
                                        {"batch_max_wait_ms", settings_.batch_max_wait.count()}});
  while (!stopping_.load()) {
    std::string failure;
    try {
      if (!group_ready) {
        co_await create_group();
        group_ready = true;
      }
      if (clock::now() >= next_dead_count_) {
        co_await count_dead();
      }
      if (batch_.size() < settings_.batch_size) {
        if (!own_pending_cursor_.empty()) {
          co_await read_own_pending();
        } else if (clock::now() >= next_claim_) {
          co_await claim_stale();
        } else {
          co_await read_new();
        }
      }
      update_gauges();
      if (flush_due()) {
        if (co_await flush()) {
          retry_delay_ = settings_.retry_initial;
        } else {
          co_await pause(retry_delay_);
          retry_delay_ = std::min(retry_delay_ * 2, settings_.retry_max);
        }
      }
      continue;
    } catch (const redis::reply_error& error) {
      // The group vanished (Redis restarted without its data, or someone deleted the stream):
      // create it again rather than fail forever.
      if (error.code() == "NOGROUP") {
        group_ready = false;
      }
      failure = error.what();
    } catch (const redis::error& error) {
      failure = error.what();
    }
    if (stopping_.load()) {
      break;
    }
    logging::warn("stream sink cannot reach Redis; retrying",
                  {{"sink", destination_.name}, {"error", failure}});
    co_await pause(retry_delay_);
    retry_delay_ = std::min(retry_delay_ * 2, settings_.retry_max);
  }
  if (!batch_.empty()) {
    try {
      co_await flush();
    } catch (const redis::error& error) {
      logging::warn("stream sink could not acknowledge its last batch; it stays pending",
                    {{"sink", destination_.name}, {"error", error.what()}});
    }
  }
  logging::info("stream sink stopped",
                {{"sink", destination_.name}, {"left_pending", batch_.size()}});
}

asio::awaitable<void> stream_sink::create_group() {
  // From the stream's beginning, not `$`: entries added before any worker ever ran are
  // delivered too.
  auto command =
      command_of({"XGROUP", "CREATE", destination_.stream, destination_.group, "0", "MKSTREAM"});
  try {
    co_await targets_.redis->command(std::move(command));
  } catch (const redis::reply_error& error) {
    if (error.code() != "BUSYGROUP") {
      throw;
    }
  }
}

asio::awaitable<void> stream_sink::read_own_pending() {
  const auto count = std::to_string(settings_.batch_size - batch_.size());
  auto command = command_of({"XREADGROUP", "GROUP", destination_.group, consumer_, "COUNT", count,
                             "STREAMS", destination_.stream, own_pending_cursor_});
  auto entries = redis::parse_read(co_await targets_.redis->command(std::move(command)));
  if (entries.empty()) {
    own_pending_cursor_.clear();
    co_return;
  }
  own_pending_cursor_ = entries.back().id;
  std::vector<std::string> gone;
  for (const auto& entry : entries) {
    if (entry.deleted) {
      gone.push_back(entry.id);
    }
  }
  std::erase_if(entries, [](const redis::stream_entry& entry) { return entry.deleted; });
  if (!gone.empty()) {
    co_await acknowledge(std::move(gone));
  }
  take(std::move(entries));
}

asio::awaitable<void> stream_sink::claim_stale() {
  const auto count = std::to_string(settings_.batch_size - batch_.size());
  const auto min_idle = std::to_string(settings_.claim_idle.count());
  auto command = command_of({"XAUTOCLAIM", destination_.stream, destination_.group, consumer_,
                             min_idle, claim_cursor_, "COUNT", count});
  auto claimed = redis::parse_autoclaim(co_await targets_.redis->command(std::move(command)));
  claim_cursor_ = claimed.next_cursor;
  // Once the whole pending list was scanned, look again when the next entries could be stale.
  if (claim_cursor_ == "0-0") {
    next_claim_ = clock::now() + settings_.claim_idle / 2;
  }
  if (!claimed.entries.empty()) {
    logging::info("stream sink took over entries of another consumer",
                  {{"sink", destination_.name}, {"entries", claimed.entries.size()}});
  }
  take(std::move(claimed.entries));
}

asio::awaitable<void> stream_sink::read_new() {
  auto block = settings_.batch_max_wait;
  if (!batch_.empty()) {
    const auto due = batch_started_ + settings_.batch_max_wait;
    block = std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(due - clock::now()));
  }
  const auto count = std::to_string(settings_.batch_size - batch_.size());
  auto command =
      command_of({"XREADGROUP", "GROUP", destination_.group, consumer_, "COUNT", count, "BLOCK",
                  std::to_string(block.count()), "STREAMS", destination_.stream, ">"});
  take(redis::parse_read(co_await reader_->command(std::move(command))));
}

void stream_sink::take(std::vector<redis::stream_entry> entries) {
  for (auto& entry : entries) {
    // Our own batch can come back through XAUTOCLAIM while PostgreSQL is down for long.
    if (!batch_ids_.insert(entry.id).second) {
      continue;
    }
    if (batch_.empty()) {
      batch_started_ = clock::now();
    }
    batch_.push_back(std::move(entry));
  }
}

bool stream_sink::flush_due() const {
  return !batch_.empty() &&
         (batch_.size() >= settings_.batch_size ||
          clock::now() >= batch_started_ + settings_.batch_max_wait || stopping_.load());
}

asio::awaitable<bool> stream_sink::flush() {
  const auto started = clock::now();
  auto prepared = destination_.prepare(batch_);
  // Rows inserted or updated: entries already stored (delivered twice) do not count.
  std::size_t stored = 0;
  std::optional<postgres::error> refused;
  try {
    stored = co_await write(prepared.statements);
  } catch (const postgres::error& error) {
    if (!is_rejection_of_data(error)) {
      write_failures_.inc();
      logging::warn("stream sink could not write its batch; it stays pending and is retried",
                    {{"sink", destination_.name},
                     {"entries", batch_.size()},
                     {"sqlstate", error.sqlstate()},
                     {"error", error.what()},
                     {"retry_in_ms", retry_delay_.count()}});
      co_return false;
    }
    refused = error;
  }
  if (refused) {
    logging::warn("PostgreSQL refused a batch; writing its entries one by one",
                  {{"sink", destination_.name},
                   {"entries", batch_.size()},
                   {"sqlstate", refused->sqlstate()},
                   {"error", refused->what()}});
    auto one_by_one = co_await write_one_by_one();
    if (!one_by_one) {
      write_failures_.inc();
      co_return false;
    }
    prepared.rejected = std::move(one_by_one->rejected);
    stored = one_by_one->stored;
  }
  if (!prepared.rejected.empty()) {
    co_await dead_letter(prepared.rejected);
  }
  std::vector<std::string> ids;
  ids.reserve(batch_.size());
  for (const auto& entry : batch_) {
    ids.push_back(entry.id);
  }
  co_await acknowledge(std::move(ids));
  written_.inc(static_cast<double>(stored));
  batch_size_.observe(static_cast<double>(batch_.size()));
  batch_duration_.observe(seconds_since(started));
  logging::debug("stream sink wrote a batch", {{"sink", destination_.name},
                                               {"entries", batch_.size()},
                                               {"written", stored},
                                               {"duration_ms", seconds_since(started) * 1000}});
  batch_.clear();
  batch_ids_.clear();
  update_gauges();
  co_return true;
}

asio::awaitable<std::size_t> stream_sink::write(
    const std::vector<application_statement>& statements) {
  std::size_t stored = 0;
  if (statements.empty()) {
    co_return stored;
  }
  // One transaction for the whole batch, so it is acknowledged all or nothing; set_config(...,
  // true) is local to the transaction and may change between its statements.
  co_await targets_.database->transaction(
      [&statements, &stored](postgres::connection_lease& lease) -> asio::awaitable<void> {
        for (const auto& statement : statements) {
          co_await lease.query("SELECT set_config('app.application_id', $1, true)",
                               postgres::param_list(statement.application_id));
          stored += (co_await lease.query(statement.sql, statement.params)).affected_rows();
        }
      });
  co_return stored;
}

asio::awaitable<std::optional<stream_sink::one_by_one_result>> stream_sink::write_one_by_one() {
  one_by_one_result result;
  auto& rejected = result.rejected;
  for (const auto& entry : batch_) {
    auto prepared = destination_.prepare({entry});
    if (!prepared.rejected.empty()) {
      rejected.insert(rejected.end(), prepared.rejected.begin(), prepared.rejected.end());
      continue;
    }
    std::optional<postgres::error> failure;
    try {
      result.stored += co_await write(prepared.statements);
    } catch (const postgres::error& error) {
      failure = error;
    }
    if (!failure) {
      continue;
    }
    if (!is_rejection_of_data(*failure)) {
      logging::warn("stream sink could not write its batch; it stays pending and is retried",
                    {{"sink", destination_.name},
                     {"sqlstate", failure->sqlstate()},
                     {"error", failure->what()}});
      co_return std::nullopt;
    }
    rejected.push_back(
        {entry.id, "PostgreSQL refused the row (" + failure->sqlstate() + "): " + failure->what()});
  }
  co_return result;
}

asio::awaitable<void> stream_sink::dead_letter(const std::vector<rejected_entry>& rejected) {
  const auto now = text::utc_now_rfc3339();
  std::vector<std::vector<std::string>> commands{{"MULTI"}};
  for (const auto& entry : rejected) {
    const auto source = std::find_if(batch_.begin(), batch_.end(), [&](const auto& candidate) {
      return candidate.id == entry.id;
    });
    auto& command = commands.emplace_back(
        command_of({"XADD", destination_.dead_stream, "MAXLEN", "~", dead_stream_max_length, "*"}));
    if (source != batch_.end()) {
      for (const auto& [name, value] : source->fields) {
        command.push_back(name);
        command.push_back(value);
      }
    }
    command.insert(command.end(),
                   {"dead_reason", entry.reason, "source_id", entry.id, "failed_at", now});
    logging::error("stream entry cannot be written; moved to the dead stream",
                   {{"sink", destination_.name},
                    {"entry_id", entry.id},
                    {"dead_stream", destination_.dead_stream},
                    {"reason", entry.reason}});
  }
  commands.push_back(command_of({"XLEN", destination_.dead_stream}));
  commands.push_back({"EXEC"});
  const auto replies = co_await targets_.redis->pipeline(std::move(commands));
  replies.back().throw_if_error();
  rejected_.inc(static_cast<double>(rejected.size()));
  dead_.set(static_cast<double>(replies.back().as_array().back().as_integer()));
}

asio::awaitable<void> stream_sink::count_dead() {
  const auto length = co_await targets_.redis->command("XLEN", destination_.dead_stream);
  dead_.set(static_cast<double>(length.as_integer()));
  next_dead_count_ = clock::now() + settings_.dead_count_interval;
}

asio::awaitable<void> stream_sink::acknowledge(std::vector<std::string> ids) {
  // XACK and XDEL together: an acknowledged entry is never read again, so it is deleted at
  // once rather than left for trimming (which could not tell it from a pending one).
  std::vector<std::vector<std::string>> commands{
      {"MULTI"},
      command_of({"XACK", destination_.stream, destination_.group}, ids),
      command_of({"XDEL", destination_.stream}, ids),
      {"EXEC"}};
  const auto replies = co_await targets_.redis->pipeline(std::move(commands));
  for (const auto& answer : replies) {
    answer.throw_if_error();
  }
}

asio::awaitable<void> stream_sink::pause(milliseconds delay) {
  if (stopping_.load()) {
    co_return;
  }
  pause_timer_.expires_after(delay);
  co_await pause_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void stream_sink::update_gauges() {
  waiting_.set(static_cast<double>(batch_.size()));
  std::optional<std::int64_t> oldest;
  for (const auto& entry : batch_) {
    const auto at = redis::stream_id_milliseconds(entry.id);
    if (at && (!oldest || *at < *oldest)) {
      oldest = at;
    }
  }
  if (!oldest) {
    lag_.set(0);
    return;
  }
  const auto now =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  lag_.set(static_cast<double>(std::max<std::int64_t>(0, now - *oldest)) / 1000.0);
}

}  // namespace gpt_adapter::worker
