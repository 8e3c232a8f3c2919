#include "worker/job_runner.hpp"

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/queue/job_queue.hpp"
#include "common/queue/keys.hpp"
#include "worker/job_attempt.hpp"
#include "worker/job_decision.hpp"
#include "worker/job_settlement.hpp"

namespace gpt_adapter::worker {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;
constexpr auto await_tuple = net::as_tuple(net::use_awaitable);
constexpr std::int64_t scheduler_batch = 100;

queue::time_point wall_now() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

queue::consumer_settings consumer_settings_of(const job_settings& settings) {
  return {.name = "jobs",
          .stream = std::string(queue::keys::jobs_stream),
          .group = std::string(queue::keys::consumer_group),
          .dead_stream = std::string(queue::keys::dead_letter_stream),
          .consumer = settings.consumer_name,
          .batch_size = 1,
          .batch_max_wait = milliseconds(0),
          .concurrency = settings.concurrency,
          .block = settings.read_block,
          .claim_idle = settings.visibility_timeout,
          .claim_interval = settings.claim_interval,
          .heartbeat_ttl = settings.heartbeat_ttl,
          .heartbeat_interval = settings.heartbeat_interval,
          .count_deliveries = true};
}

spdlog::level::level_enum level_of(job_decision::action what) {
  switch (what) {
    case job_decision::action::dead_letter:
      return spdlog::level::err;
    case job_decision::action::succeed:
    case job_decision::action::await_event:
      return spdlog::level::info;
    default:
      return spdlog::level::warn;
  }
}

}  // namespace

std::shared_ptr<job_runner> job_runner::create(net::any_io_executor executor, job_settings settings,
                                               redis::connection_options reader_options,
                                               std::shared_ptr<redis::client> commands,
                                               std::shared_ptr<memory_bank::client> memory_bank,
                                               metrics::registry& metrics,
                                               queue::stream_consumer_metrics& consumer_metrics) {
  std::shared_ptr<job_runner> runner(new job_runner(
      executor, std::move(settings), std::move(commands), std::move(memory_bank), metrics));
  std::weak_ptr<job_runner> weak = runner;
  runner->consumer_ = queue::stream_consumer::create(
      executor, consumer_settings_of(runner->settings_), runner->commands_,
      std::move(reader_options),
      [weak](const std::vector<queue::delivery>& batch)
          -> net::awaitable<std::vector<queue::verdict>> {
        auto self = weak.lock();
        if (!self) {
          co_return std::vector<queue::verdict>{queue::verdict::left_pending()};
        }
        // Counted on completion only: a job abandoned at shutdown outlives the registry.
        self->metrics_.in_flight.inc();
        std::optional<queue::verdict> decided;
        try {
          decided = co_await self->process(batch.front());
        } catch (const std::exception& error) {
          logging::error("job processing failed; the entry stays pending",
                         {{"job_id", batch.front().entry.id}, {"error", error.what()}});
          decided = queue::verdict::left_pending();
        }
        self->metrics_.in_flight.dec();
        co_return std::vector<queue::verdict>(1, std::move(*decided));
      },
      consumer_metrics);
  runner->consumer_->set_hand_back(
      [commands = runner->commands_, ttl = runner->settings_.record_ttl](
          const redis::stream_entry& entry) -> net::awaitable<bool> {
        const bool handed_back = co_await queue::job_queue(*commands, ttl).hand_back(entry);
        if (handed_back) {
          logging::warn("job handed back unfinished at shutdown",
                        {{"job_id", entry.id}, {"outcome", "handed_back"}});
        }
        co_return handed_back;
      });
  return runner;
}

job_runner::job_runner(net::any_io_executor executor, job_settings settings,
                       std::shared_ptr<redis::client> commands,
                       std::shared_ptr<memory_bank::client> memory_bank, metrics::registry& metrics)
    : settings_(std::move(settings)),
      strand_(net::make_strand(executor)),
      commands_(std::move(commands)),
      memory_bank_(std::move(memory_bank)),
      retry_(settings_.retry, queue::default_random_source()),
      metrics_(metrics),
      schedule_timer_(strand_),
      backlog_timer_(strand_),
      drain_timer_(strand_) {}

void job_runner::start() {
  consumer_->start();
  net::post(strand_, [self = shared_from_this()] {
    logging::info("job loop starting", {{"consumer", self->settings_.consumer_name},
                                        {"concurrency", self->settings_.concurrency}});
    self->loops_running_ = 2;
    const auto on_end = [self](const std::exception_ptr& failure) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& error) {
          logging::error("job loop task failed", {{"error", error.what()}});
        }
      }
      --self->loops_running_;
      self->drain_timer_.cancel();
    };
    net::co_spawn(self->strand_, self->schedule_loop(), on_end);
    net::co_spawn(self->strand_, self->backlog_loop(), on_end);
  });
}

net::awaitable<bool> job_runner::pause(net::steady_timer& timer, milliseconds duration) {
  if (stopping_) {
    co_return false;
  }
  timer.expires_after(duration);
  co_await timer.async_wait(await_tuple);
  co_return !stopping_;
}

net::awaitable<void> job_runner::schedule_loop() {
  while (!stopping_) {
    std::int64_t moved = 0;
    try {
      moved = co_await jobs().move_due(scheduler_batch);
    } catch (const std::exception& error) {
      logging::warn("moving due delayed jobs failed", {{"error", error.what()}});
    }
    if (moved > 0) {
      logging::debug("delayed jobs moved back to the stream", {{"count", moved}});
    }
    if (moved < scheduler_batch && !co_await pause(schedule_timer_, settings_.scheduler_interval)) {
      break;
    }
  }
}

net::awaitable<void> job_runner::backlog_loop() {
  do {
    try {
      const auto counts = co_await jobs().read_backlog();
      metrics_.queue_jobs.labels({"undelivered"}).set(static_cast<double>(counts.undelivered));
      metrics_.queue_jobs.labels({"pending"}).set(static_cast<double>(counts.pending));
      metrics_.queue_jobs.labels({"delayed"}).set(static_cast<double>(counts.delayed));
      metrics_.queue_jobs.labels({"dead"}).set(static_cast<double>(counts.dead));
      metrics_.backlog.set(
          static_cast<double>(counts.undelivered + counts.pending + counts.delayed));
      metrics_.oldest_age.set(static_cast<double>(counts.oldest_age_ms) / 1000.0);
    } catch (const std::exception& error) {
      logging::warn("reading the queue backlog failed", {{"error", error.what()}});
    }
  } while (co_await pause(backlog_timer_, settings_.backlog_interval));
}

net::awaitable<queue::verdict> job_runner::process(const queue::delivery& delivered) {
  const auto& entry = delivered.entry;
  auto decoded = queue::decode(entry.fields);
  if (!decoded) {
    const auto problem = decoded.error().field + ": " + decoded.error().message;
    metrics_.dead_lettered.labels({"unknown", "not_retryable"}).inc();
    logging::error("job dead-lettered: the entry is not a valid job",
                   {{"job_id", entry.id}, {"outcome", "dead"}, {"error", problem}});
    co_return queue::verdict::dead_letter(
        std::string(to_string(queue::dead_letter_reason::not_retryable)), problem);
  }
  const queue::job value = std::move(decoded).value();
  const std::string op(queue::to_string(value.op));
  if (!co_await jobs().mark_running(value)) {
    metrics_.processed.labels({op, "duplicate"}).inc();
    logging::info(
        "job already finished elsewhere; duplicate delivery acknowledged",
        {{"job_id", entry.id}, {"request_id", value.request_id}, {"outcome", "duplicate"}});
    co_return queue::verdict::acknowledged();
  }
  logging::info("job started", {{"job_id", entry.id},
                                {"request_id", value.request_id},
                                {"app_id", value.application_id},
                                {"operation", op},
                                {"attempt", value.attempt}});

  const delivery_count count{.deliveries = delivered.deliveries,
                             .max_deliveries = settings_.max_deliveries};
  const auto started = clock::now();
  memory_bank::call_result result;
  if (auto refusal = refuse_attempt(value, count, wall_now())) {
    result.outcome = memory_bank::call_result::kind::transient;
    result.error = std::move(*refusal);
  } else {
    result = co_await run_attempt(*memory_bank_, value, delivered.redelivered,
                                  {.soft = settings_.soft_time_limit,
                                   .hard = settings_.hard_time_limit,
                                   .past_soft_limit = metrics_.past_soft_limit});
  }
  const auto duration = std::chrono::duration_cast<milliseconds>(clock::now() - started);
  const auto finished = wall_now();
  metrics_.duration.labels({op}).observe(std::chrono::duration<double>(duration).count());

  const auto& bank = memory_bank_->settings();
  const auto decision =
      decide(value, result, retry_, finished, settings_.scheduler_interval,
             {.first = bank.event_poll_delay, .longest = bank.event_poll_max_delay}, count);
  const auto change = settlement_of(value, result, decision, entry.id, finished, duration);
  const bool settled = co_await jobs().settle(change);
  const std::string outcome_name(to_string(decision.what));
  if (!settled) {
    metrics_.processed.labels({op, "duplicate"}).inc();
    logging::warn("job was settled by another worker meanwhile; this attempt's outcome dropped",
                  {{"job_id", entry.id}, {"request_id", value.request_id}, {"operation", op}});
    co_return queue::verdict::settled_by_policy();
  }
  metrics_.processed.labels({op, outcome_name}).inc();
  if (decision.what == job_decision::action::retry) {
    metrics_.retries.labels({op}).inc();
  } else if (decision.what == job_decision::action::dead_letter) {
    metrics_.dead_lettered
        .labels({op, std::string(to_string(
                         decision.reason.value_or(queue::dead_letter_reason::exhausted)))})
        .inc();
  }
  logging::write(level_of(decision.what), "job " + outcome_name,
                 {{"job_id", entry.id},
                  {"request_id", value.request_id},
                  {"app_id", value.application_id},
                  {"operation", op},
                  {"attempt", value.attempt},
                  {"outcome", outcome_name},
                  {"duration_ms", duration.count()},
                  {"delay_ms", decision.delay.count()},
                  {"memory_bank_status", result.http_status},
                  {"error", change.record->error.value_or("")}});
  co_return queue::verdict::settled_by_policy();
}

void job_runner::stop_claiming() {
  consumer_->stop_claiming();
  net::post(strand_, [self = shared_from_this()] {
    if (self->stopping_) {
      return;
    }
    self->stopping_ = true;
    logging::info("job loop stops claiming", {});
    self->schedule_timer_.cancel();
    self->backlog_timer_.cancel();
  });
}

net::awaitable<void> job_runner::stop() {
  stop_claiming();
  logging::info("job loop draining", {{"grace_ms", settings_.shutdown_grace.count()}});
  co_await consumer_->stop(settings_.shutdown_grace);
  co_await net::post(strand_, net::use_awaitable);
  while (loops_running_ > 0) {
    drain_timer_.expires_after(std::chrono::seconds(1));
    co_await drain_timer_.async_wait(await_tuple);
  }
  logging::info("job loop stopped", {});
}

void start_jobs(service::http_service& service, const worker_settings& settings,
                queue::stream_consumer_metrics& consumer_metrics) {
  const auto executor = service.context().get_executor();
  auto memory_bank = memory_bank::client::create(executor, settings.memory_bank, service.metrics());
  auto reader_options = settings.common.redis.connection;
  auto runner = job_runner::create(executor, settings.jobs, std::move(reader_options),
                                   service.dependencies().redis, memory_bank, service.metrics(),
                                   consumer_metrics);
  runner->start();
  // Not ready while the Memory Bank's circuit is open: jobs are being delayed, not run.
  service.add_readiness_check(memory_bank->readiness_check());
  service.on_stop_requested([runner] { runner->stop_claiming(); });
  service.on_stop([runner, memory_bank]() -> net::awaitable<void> {
    co_await runner->stop();
    memory_bank->stop();
  });
}

}  // namespace gpt_adapter::worker
