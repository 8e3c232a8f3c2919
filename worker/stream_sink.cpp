#include "worker/stream_sink.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"

namespace gpt_adapter::worker {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::shared_ptr<stream_sink> stream_sink::create(asio::any_io_executor executor,
                                                 sink_destination destination,
                                                 stream_sink_settings settings, connections targets,
                                                 std::string consumer, stream_sink_metrics& metrics,
                                                 queue::stream_consumer_metrics& consumer_metrics) {
  auto sink = std::make_shared<stream_sink>(private_tag{}, std::move(destination), settings,
                                            std::move(targets), metrics);
  std::weak_ptr<stream_sink> weak = sink;
  queue::consumer_settings consuming{.name = sink->destination_.name,
                                     .stream = sink->destination_.stream,
                                     .group = sink->destination_.group,
                                     .dead_stream = sink->destination_.dead_stream,
                                     .consumer = std::move(consumer),
                                     .batch_size = settings.batch_size,
                                     .batch_max_wait = settings.batch_max_wait,
                                     .concurrency = 1,
                                     .block = settings.batch_max_wait,
                                     .claim_idle = settings.claim_idle,
                                     .claim_interval = settings.claim_idle / 2,
                                     .heartbeat_ttl = settings.heartbeat_ttl,
                                     .heartbeat_interval = settings.heartbeat_interval,
                                     .dead_count_interval = settings.dead_count_interval};
  sink->consumer_ = queue::stream_consumer::create(
      executor, std::move(consuming), sink->targets_.redis, sink->targets_.reader,
      [weak](const std::vector<queue::delivery>& batch)
          -> asio::awaitable<std::vector<queue::verdict>> {
        auto self = weak.lock();
        if (!self) {
          co_return std::vector<queue::verdict>(batch.size(), queue::verdict::left_pending());
        }
        co_return co_await self->write_batch(batch);
      },
      consumer_metrics);
  sink->consumer_->set_dead_letter_observer([weak](std::size_t added, std::int64_t length) {
    if (auto self = weak.lock()) {
      self->rejected_.inc(static_cast<double>(added));
      self->dead_.set(static_cast<double>(length));
    }
  });
  return sink;
}

stream_sink::stream_sink(private_tag, sink_destination destination, stream_sink_settings settings,
                         connections targets, stream_sink_metrics& metrics)
    : destination_(std::move(destination)),
      settings_(settings),
      targets_(std::move(targets)),
      retry_delay_(settings_.retry_initial),
      written_(metrics.written_.labels({destination_.name})),
      rejected_(metrics.rejected_.labels({destination_.name})),
      write_failures_(metrics.write_failures_.labels({destination_.name})),
      batch_size_(metrics.batch_size_.labels({destination_.name})),
      batch_duration_(metrics.batch_duration_.labels({destination_.name})),
      lag_(metrics.lag_.labels({destination_.name})),
      waiting_(metrics.waiting_.labels({destination_.name})),
      dead_(metrics.dead_.labels({destination_.name})) {}

void stream_sink::start() {
  consumer_->start();
}

asio::awaitable<void> stream_sink::stop() {
  // The grace bounds a last write that PostgreSQL holds up; its statement timeout ends it sooner.
  co_await consumer_->stop(settings_.retry_max);
}

asio::awaitable<std::vector<queue::verdict>> stream_sink::write_batch(
    const std::vector<queue::delivery>& batch) {
  const auto started = clock::now();
  std::vector<redis::stream_entry> entries;
  entries.reserve(batch.size());
  for (const auto& delivered : batch) {
    entries.push_back(delivered.entry);
  }
  show_waiting(entries);
  const auto try_later = [&] {
    write_failures_.inc();
    std::vector<queue::verdict> later(batch.size(), queue::verdict::again_after(retry_delay_));
    retry_delay_ = std::min(retry_delay_ * 2, settings_.retry_max);
    return later;
  };
  auto prepared = destination_.prepare(entries);
  // Rows inserted or updated: entries already stored (delivered twice) do not count.
  std::size_t stored = 0;
  std::optional<postgres::error> refused;
  try {
    stored = co_await write(prepared.statements);
  } catch (const postgres::error& error) {
    if (!is_rejection_of_data(error)) {
      logging::warn("stream sink could not write its batch; it stays pending and is retried",
                    {{"sink", destination_.name},
                     {"entries", batch.size()},
                     {"sqlstate", error.sqlstate()},
                     {"error", error.what()},
                     {"retry_in_ms", retry_delay_.count()}});
      co_return try_later();
    }
    refused = error;
  }
  if (refused) {
    logging::warn("PostgreSQL refused a batch; writing its entries one by one",
                  {{"sink", destination_.name},
                   {"entries", batch.size()},
                   {"sqlstate", refused->sqlstate()},
                   {"error", refused->what()}});
    auto one_by_one = co_await write_one_by_one(entries);
    if (!one_by_one) {
      co_return try_later();
    }
    prepared.rejected = std::move(one_by_one->rejected);
    stored = one_by_one->stored;
  }
  retry_delay_ = settings_.retry_initial;
  std::vector<queue::verdict> verdicts(batch.size(), queue::verdict::acknowledged());
  for (const auto& rejected : prepared.rejected) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].entry.id == rejected.id) {
        verdicts[i] = queue::verdict::dead_letter(rejected.reason);
      }
    }
  }
  written_.inc(static_cast<double>(stored));
  batch_size_.observe(static_cast<double>(batch.size()));
  batch_duration_.observe(seconds_since(started));
  logging::debug("stream sink wrote a batch", {{"sink", destination_.name},
                                               {"entries", batch.size()},
                                               {"written", stored},
                                               {"duration_ms", seconds_since(started) * 1000}});
  show_waiting({});
  co_return verdicts;
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

asio::awaitable<std::optional<stream_sink::one_by_one_result>> stream_sink::write_one_by_one(
    const std::vector<redis::stream_entry>& entries) {
  one_by_one_result result;
  auto& rejected = result.rejected;
  for (const auto& entry : entries) {
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

void stream_sink::show_waiting(const std::vector<redis::stream_entry>& entries) {
  waiting_.set(static_cast<double>(entries.size()));
  std::optional<std::int64_t> oldest;
  for (const auto& entry : entries) {
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
