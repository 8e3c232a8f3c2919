#include "worker/job_runner.hpp"

#include <exception>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "common/logging/logger.hpp"
#include "common/memory_bank/operation_input.hpp"
#include "common/queue/job_store.hpp"
#include "common/queue/keys.hpp"
#include "common/queue/timestamp.hpp"
#include "worker/job_decision.hpp"

namespace gpt_adapter::worker {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;
constexpr auto await_tuple = net::as_tuple(net::use_awaitable);
constexpr milliseconds read_retry_delay{1000};
constexpr std::int64_t scheduler_batch = 100;
constexpr std::int64_t hand_back_limit = 10000;

queue::time_point wall_now() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

struct job_runner::metric_handles {
  metrics::family<metrics::counter>& processed;
  metrics::family<metrics::histogram>& duration;
  metrics::family<metrics::counter>& retries;
  metrics::family<metrics::counter>& dead_lettered;
  metrics::family<metrics::counter>& past_soft_limit;
  metrics::gauge& in_flight;
  metrics::family<metrics::gauge>& queue_jobs;
  metrics::gauge& backlog;
  metrics::gauge& oldest_age;

  explicit metric_handles(metrics::registry& registry)
      : processed(registry.add_counter(
            "gpt_adapter_jobs_processed_total",
            "Job attempts finished, by operation and outcome (succeeded, failed, retry, delayed, "
            "awaiting_event, dead, duplicate).",
            {"operation", "outcome"})),
        duration(registry.add_histogram("gpt_adapter_job_duration_seconds",
                                        "Time one job attempt took, by operation.", {"operation"})),
        retries(registry.add_counter("gpt_adapter_job_retries_total",
                                     "Attempts that failed and were scheduled again.",
                                     {"operation"})),
        dead_lettered(registry.add_counter("gpt_adapter_jobs_dead_lettered_total",
                                           "Jobs moved to the dead-letter stream, by reason.",
                                           {"operation", "reason"})),
        past_soft_limit(registry.add_counter(
            "gpt_adapter_job_soft_time_limit_exceeded_total",
            "Job attempts still running at WORKER_SOFT_TIME_LIMIT_MS, by operation: the warning "
            "before WORKER_HARD_TIME_LIMIT_MS abandons them.",
            {"operation"})),
        in_flight(
            registry.add_gauge("gpt_adapter_jobs_in_flight", "Jobs this worker is running.").get()),
        queue_jobs(registry.add_gauge(
            "gpt_adapter_queue_jobs",
            "Jobs in the queue by state: undelivered (waiting to be read), pending (read, not "
            "acknowledged), delayed (waiting for a retry), dead (dead-letter stream).",
            {"state"})),
        backlog(registry
                    .add_gauge("gpt_adapter_queue_backlog_jobs",
                               "Undelivered + pending + delayed jobs: the autoscaling signal.")
                    .get()),
        oldest_age(registry
                       .add_gauge("gpt_adapter_queue_oldest_job_age_seconds",
                                  "Age of the oldest job in the stream (undelivered or pending) "
                                  "since it was last queued; 0 when the stream is empty.")
                       .get()) {
    // Every known series from the start, at 0: rate() and increase() then see the first retry
    // or dead letter instead of a series appearing with it.
    using queue::dead_letter_reason;
    using queue::operation;
    for (const auto op :
         {operation::search, operation::create, operation::get, operation::list, operation::update,
          operation::remove, operation::history, operation::forget}) {
      const std::string name(to_string(op));
      retries.labels({name});
      for (const auto reason :
           {dead_letter_reason::exhausted, dead_letter_reason::not_retryable,
            dead_letter_reason::past_deadline, dead_letter_reason::redelivered}) {
        dead_lettered.labels({name, std::string(to_string(reason))});
      }
    }
  }
};

std::shared_ptr<job_runner> job_runner::create(net::any_io_executor executor, job_settings settings,
                                               redis::connection_options reader_options,
                                               std::shared_ptr<redis::client> commands,
                                               std::shared_ptr<memory_bank::client> memory_bank,
                                               metrics::registry& metrics) {
  return std::shared_ptr<job_runner>(new job_runner(std::move(executor), std::move(settings),
                                                    std::move(reader_options), std::move(commands),
                                                    std::move(memory_bank), metrics));
}

job_runner::job_runner(net::any_io_executor executor, job_settings settings,
                       redis::connection_options reader_options,
                       std::shared_ptr<redis::client> commands,
                       std::shared_ptr<memory_bank::client> memory_bank, metrics::registry& metrics)
    : settings_(std::move(settings)),
      strand_(net::make_strand(executor)),
      reader_(redis::client::create(executor, std::move(reader_options))),
      commands_(std::move(commands)),
      memory_bank_(std::move(memory_bank)),
      retry_(settings_.retry, queue::default_random_source()),
      metrics_(std::make_unique<metric_handles>(metrics)),
      slot_timer_(strand_),
      read_retry_timer_(strand_),
      schedule_timer_(strand_),
      claim_timer_(strand_),
      backlog_timer_(strand_),
      drain_timer_(strand_) {}

void job_runner::start() {
  reader_->start();
  net::post(strand_, [self = shared_from_this()] {
    logging::info("job loop starting", {{"consumer", self->settings_.consumer_name},
                                        {"concurrency", self->settings_.concurrency}});
    self->loops_running_ = 4;
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
    net::co_spawn(self->strand_, self->read_loop(), on_end);
    net::co_spawn(self->strand_, self->schedule_loop(), on_end);
    net::co_spawn(self->strand_, self->claim_loop(), on_end);
    net::co_spawn(self->strand_, self->backlog_loop(), on_end);
  });
}

std::size_t job_runner::free_slots() const {
  return in_flight_ >= settings_.concurrency ? 0 : settings_.concurrency - in_flight_;
}

void job_runner::wake_all() {
  slot_timer_.cancel();
  read_retry_timer_.cancel();
  schedule_timer_.cancel();
  claim_timer_.cancel();
  backlog_timer_.cancel();
  drain_timer_.cancel();
}

net::awaitable<bool> job_runner::pause(net::steady_timer& timer, milliseconds duration) {
  if (stopping_) {
    co_return false;
  }
  timer.expires_after(duration);
  co_await timer.async_wait(await_tuple);
  co_return !stopping_;
}

net::awaitable<void> job_runner::read_loop() {
  bool group_ready = false;
  // After a restart under the same consumer name, this consumer's own pending entries come
  // first (read from id 0 on), then new ones ('>').
  bool own_pending = true;
  std::string cursor = "0";
  while (!stopping_) {
    if (!group_ready) {
      bool created = false;
      try {
        co_await queue::ensure_streams(*commands_);
        created = true;
      } catch (const std::exception& error) {
        logging::warn("cannot create the jobs stream and group yet", {{"error", error.what()}});
      }
      if (!created) {
        if (!co_await pause(read_retry_timer_, read_retry_delay)) {
          break;
        }
        continue;
      }
      group_ready = true;
    }
    const auto slots = free_slots();
    if (slots == 0) {
      co_await pause(slot_timer_, std::chrono::hours(1));
      continue;
    }
    std::vector<redis::stream_entry> entries;
    std::string failure;
    try {
      std::vector<std::string> command{"XREADGROUP",
                                       "GROUP",
                                       std::string(queue::keys::consumer_group),
                                       settings_.consumer_name,
                                       "COUNT",
                                       std::to_string(slots),
                                       "BLOCK",
                                       std::to_string(settings_.read_block.count()),
                                       "STREAMS",
                                       std::string(queue::keys::jobs_stream),
                                       own_pending ? cursor : ">"};
      const auto answer =
          co_await reader_->command(std::move(command), settings_.read_block + milliseconds(5000));
      entries = redis::parse_read(answer);
    } catch (const redis::reply_error& error) {
      failure = error.what();
      if (error.code() == "NOGROUP") {
        group_ready = false;
      }
    } catch (const std::exception& error) {
      failure = error.what();
    }
    if (!failure.empty()) {
      if (stopping_) {
        break;
      }
      logging::warn("reading the jobs stream failed", {{"error", failure}});
      if (!co_await pause(read_retry_timer_, read_retry_delay)) {
        break;
      }
      continue;
    }
    if (own_pending) {
      if (entries.empty()) {
        own_pending = false;
      } else {
        cursor = entries.back().id;
      }
    }
    dispatch(std::move(entries), own_pending);
  }
}

void job_runner::dispatch(std::vector<redis::stream_entry> entries, bool redelivered) {
  for (auto& entry : entries) {
    ++in_flight_;
    metrics_->in_flight.inc();
    net::co_spawn(strand_, process(std::move(entry), redelivered),
                  [self = shared_from_this()](const std::exception_ptr& failure) {
                    if (failure) {
                      try {
                        std::rethrow_exception(failure);
                      } catch (const std::exception& error) {
                        logging::error("job processing failed; the entry stays pending",
                                       {{"error", error.what()}});
                      }
                    }
                    --self->in_flight_;
                    self->metrics_->in_flight.dec();
                    self->slot_timer_.cancel();
                    self->drain_timer_.cancel();
                  });
  }
}

net::awaitable<void> job_runner::schedule_loop() {
  while (!stopping_) {
    std::int64_t moved = 0;
    try {
      moved = co_await queue::move_due_jobs(*commands_, scheduler_batch);
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

net::awaitable<void> job_runner::claim_loop() {
  std::string cursor = "0-0";
  while (co_await pause(claim_timer_, settings_.claim_interval)) {
    const auto slots = free_slots();
    if (slots == 0) {
      continue;
    }
    try {
      const auto answer = co_await commands_->command(
          "XAUTOCLAIM", queue::keys::jobs_stream, queue::keys::consumer_group,
          settings_.consumer_name, std::to_string(settings_.visibility_timeout.count()), cursor,
          "COUNT", std::to_string(slots));
      auto claimed = redis::parse_autoclaim(answer);
      cursor = claimed.next_cursor;
      for (const auto& entry : claimed.entries) {
        logging::warn("job reclaimed from a consumer that held it past the visibility timeout",
                      {{"job_id", entry.id}});
      }
      if (!stopping_) {
        dispatch(std::move(claimed.entries), true);
      }
    } catch (const std::exception& error) {
      logging::warn("reclaiming idle jobs failed", {{"error", error.what()}});
    }
  }
}

net::awaitable<void> job_runner::backlog_loop() {
  do {
    try {
      const auto counts = co_await queue::read_backlog(*commands_);
      metrics_->queue_jobs.labels({"undelivered"}).set(static_cast<double>(counts.undelivered));
      metrics_->queue_jobs.labels({"pending"}).set(static_cast<double>(counts.pending));
      metrics_->queue_jobs.labels({"delayed"}).set(static_cast<double>(counts.delayed));
      metrics_->queue_jobs.labels({"dead"}).set(static_cast<double>(counts.dead));
      metrics_->backlog.set(
          static_cast<double>(counts.undelivered + counts.pending + counts.delayed));
      metrics_->oldest_age.set(static_cast<double>(counts.oldest_age_ms) / 1000.0);
    } catch (const std::exception& error) {
      logging::warn("reading the queue backlog failed", {{"error", error.what()}});
    }
  } while (co_await pause(backlog_timer_, settings_.backlog_interval));
}

net::awaitable<memory_bank::call_result> job_runner::execute_within_limits(const queue::job& value,
                                                                           bool redelivered) {
  using namespace net::experimental::awaitable_operators;
  auto input = memory_bank::parse_operation_input(value.op, value.payload);
  if (!input) {
    memory_bank::call_result invalid;
    invalid.outcome = memory_bank::call_result::kind::rejected;
    invalid.error = "invalid payload: " + input.error().message;
    co_return invalid;
  }
  net::steady_timer soft(strand_, settings_.soft_time_limit);
  const std::string op(queue::to_string(value.op));
  soft.async_wait(
      [request_id = value.request_id, op, &passed = metrics_->past_soft_limit.labels({op}),
       limit = settings_.soft_time_limit.count()](const boost::system::error_code& error) {
        if (!error) {
          passed.inc();
          logging::warn("job passed its soft time limit",
                        {{"request_id", request_id}, {"operation", op}, {"limit_ms", limit}});
        }
      });
  net::steady_timer hard(strand_, settings_.hard_time_limit);
  const auto who = job_owner(value);
  const memory_bank::attempt_context context{
      .request_id = value.request_id,
      .enqueued_at = value.enqueued_at,
      .earlier_attempt_ran = value.attempt > 1 || redelivered,
      .event_id = value.memory_bank_event_id};
  auto winner = co_await (memory_bank_->execute(who, input.value(), context) ||
                          hard.async_wait(net::use_awaitable));
  soft.cancel();
  if (winner.index() == 0) {
    co_return std::get<0>(std::move(winner));
  }
  memory_bank::call_result timed_out;
  timed_out.outcome = memory_bank::call_result::kind::transient;
  timed_out.error = "attempt abandoned at the hard time limit of " +
                    std::to_string(settings_.hard_time_limit.count()) + " ms";
  co_return timed_out;
}

net::awaitable<void> job_runner::dead_letter_undecodable(const redis::stream_entry& entry,
                                                         const queue::decode_error& error) {
  queue::settlement change;
  change.entry_id = entry.id;
  const std::string* request_id = nullptr;
  for (const auto& [name, text] : entry.fields) {
    if (name == "request_id") {
      request_id = &text;
    }
  }
  change.request_id = request_id != nullptr ? *request_id : std::string();
  change.dead_letter = entry.fields;
  change.dead_letter->emplace_back(
      "dead_reason", std::string(to_string(queue::dead_letter_reason::not_retryable)));
  change.dead_letter->emplace_back("last_error", error.field + ": " + error.message);
  change.dead_letter->emplace_back("failed_at", queue::format_timestamp(wall_now()));
  change.dead_letter->emplace_back("source_id", entry.id);
  co_await queue::settle(*commands_, change, settings_.record_ttl);
  metrics_->dead_lettered.labels({"unknown", "not_retryable"}).inc();
  logging::error("job dead-lettered: the entry is not a valid job",
                 {{"job_id", entry.id},
                  {"request_id", change.request_id},
                  {"outcome", "dead"},
                  {"error", error.field + ": " + error.message}});
}

net::awaitable<std::int64_t> job_runner::delivery_count(const std::string& entry_id) {
  try {
    const auto answer = co_await commands_->command(
        "XPENDING", queue::keys::jobs_stream, queue::keys::consumer_group, entry_id, entry_id, "1");
    co_return redis::parse_pending_deliveries(answer).value_or(1);
  } catch (const std::exception& error) {
    // Unknown is treated as a first delivery: the job runs rather than being dead-lettered.
    logging::warn("reading a job's delivery count failed",
                  {{"job_id", entry_id}, {"error", error.what()}});
    co_return 1;
  }
}

net::awaitable<void> job_runner::process(redis::stream_entry entry, bool redelivered) {
  if (entry.deleted) {
    queue::settlement ack;
    ack.entry_id = entry.id;
    co_await queue::settle(*commands_, ack, settings_.record_ttl);
    co_return;
  }
  auto decoded = queue::decode(entry.fields);
  if (!decoded) {
    co_await dead_letter_undecodable(entry, decoded.error());
    co_return;
  }
  const queue::job value = std::move(decoded).value();
  const std::string op(queue::to_string(value.op));

  if (!co_await queue::mark_running(*commands_, value, settings_.record_ttl)) {
    queue::settlement ack;
    ack.entry_id = entry.id;
    ack.request_id = value.request_id;
    co_await queue::settle(*commands_, ack, settings_.record_ttl);
    metrics_->processed.labels({op, "duplicate"}).inc();
    logging::info(
        "job already finished elsewhere; duplicate delivery acknowledged",
        {{"job_id", entry.id}, {"request_id", value.request_id}, {"outcome", "duplicate"}});
    co_return;
  }
  logging::info("job started", {{"job_id", entry.id},
                                {"request_id", value.request_id},
                                {"app_id", value.application_id},
                                {"operation", op},
                                {"attempt", value.attempt}});

  std::int64_t deliveries = 1;
  if (redelivered) {
    deliveries = co_await delivery_count(entry.id);
  }
  const bool poisoned = deliveries > settings_.max_deliveries;
  const auto started = clock::now();
  memory_bank::call_result result;
  if (poisoned) {
    result.outcome = memory_bank::call_result::kind::transient;
    result.error = "handed out " + std::to_string(deliveries) +
                   " times without being settled (JOB_MAX_DELIVERIES " +
                   std::to_string(settings_.max_deliveries) +
                   "): its workers stopped while running it";
  } else if (wall_now() > value.deadline) {
    result.outcome = memory_bank::call_result::kind::transient;
    result.error = "deadline passed before the attempt started";
  } else {
    result = co_await execute_within_limits(value, redelivered);
  }
  const auto duration = clock::now() - started;
  const auto finished = wall_now();
  metrics_->duration.labels({op}).observe(std::chrono::duration<double>(duration).count());

  const auto& bank = memory_bank_->settings();
  auto decision = decide(value, result, retry_, finished, settings_.scheduler_interval,
                         {.first = bank.event_poll_delay, .longest = bank.event_poll_max_delay});
  if (finished > value.deadline && decision.what != job_decision::action::succeed &&
      decision.what != job_decision::action::fail) {
    decision.what = job_decision::action::dead_letter;
    decision.reason = queue::dead_letter_reason::past_deadline;
  }
  if (poisoned) {
    decision.what = job_decision::action::dead_letter;
    decision.reason = queue::dead_letter_reason::redelivered;
  }

  queue::settlement change;
  change.entry_id = entry.id;
  change.request_id = value.request_id;
  queue::job_record record = queue::queued_record(value);
  record.attempts = value.attempt;
  record.updated_at = finished;
  if (result.http_status > 0) {
    record.memory_bank_status = result.http_status;
  }
  if (!result.memory_bank_request_id.empty()) {
    record.memory_bank_request_id = result.memory_bank_request_id;
  }
  if (!result.error.empty()) {
    record.error = result.error;
  }
  record.error_code = decision.error_code;
  const auto final_outcome = [&](queue::job_status status) {
    record.status = status;
    record.completed_at = finished;
    queue::job_outcome outcome;
    outcome.request_id = value.request_id;
    outcome.application_id = value.application_id;
    outcome.end_user_id = value.end_user_id;
    outcome.op = value.op;
    outcome.status = status;
    outcome.attempts = value.attempt;
    outcome.error = record.error;
    outcome.memory_bank_status = record.memory_bank_status;
    outcome.memory_bank_request_id = record.memory_bank_request_id;
    outcome.processing_time = std::chrono::duration_cast<milliseconds>(duration);
    outcome.created_at = value.enqueued_at;
    outcome.completed_at = finished;
    change.outcome = std::move(outcome);
    change.notify = true;
  };
  switch (decision.what) {
    case job_decision::action::succeed:
      record.error.reset();
      record.result = boost::json::serialize(result.result);
      final_outcome(queue::job_status::succeeded);
      break;
    case job_decision::action::fail:
      if (!record.error) {
        record.error = "memory not found";
      }
      final_outcome(queue::job_status::failed);
      break;
    case job_decision::action::retry: {
      record.status = queue::job_status::queued;
      auto next = value;
      ++next.attempt;
      // A new attempt starts over: it looks for what earlier ones stored, then adds.
      next.memory_bank_event_id.reset();
      next.event_polls = 0;
      change.delayed_job = std::move(next);
      change.delay = decision.delay;
      metrics_->retries.labels({op}).inc();
      break;
    }
    case job_decision::action::delay:
      // The breaker never let the call through: the attempt does not count.
      record.status = queue::job_status::queued;
      record.attempts = value.attempt - 1;
      change.delayed_job = value;
      change.delay = decision.delay;
      break;
    case job_decision::action::await_event: {
      // The attempt goes on while the Memory Bank works: the job waits in the delayed set, not
      // in a worker slot, and polls the event when it is due.
      record.status = queue::job_status::running;
      auto next = value;
      next.memory_bank_event_id = result.event_id;
      ++next.event_polls;
      change.delayed_job = std::move(next);
      change.delay = decision.delay;
      break;
    }
    case job_decision::action::dead_letter: {
      const auto reason = decision.reason.value_or(queue::dead_letter_reason::exhausted);
      if (result.outcome == memory_bank::call_result::kind::in_progress) {
        record.error = "the Memory Bank accepted the request (event " +
                       result.event_id.value_or("") +
                       ") but had not finished it by the job's deadline; it may still complete";
      }
      if (!record.error) {
        record.error = std::string(to_string(reason));
      }
      final_outcome(queue::job_status::dead);
      change.dead_letter = queue::dead_letter_fields(value, reason, *record.error,
                                                     record.memory_bank_status, entry.id, finished);
      metrics_->dead_lettered.labels({op, std::string(to_string(reason))}).inc();
      break;
    }
  }

  change.record = record;
  const bool settled = co_await queue::settle(*commands_, change, settings_.record_ttl);
  const std::string outcome_name(to_string(decision.what));
  if (!settled) {
    metrics_->processed.labels({op, "duplicate"}).inc();
    logging::warn("job was settled by another worker meanwhile; this attempt's outcome dropped",
                  {{"job_id", entry.id}, {"request_id", value.request_id}, {"operation", op}});
    co_return;
  }
  metrics_->processed.labels({op, outcome_name}).inc();
  const auto level = decision.what == job_decision::action::dead_letter ? spdlog::level::err
                     : decision.what == job_decision::action::succeed ||
                             decision.what == job_decision::action::await_event
                         ? spdlog::level::info
                         : spdlog::level::warn;
  logging::write(level, "job " + outcome_name,
                 {{"job_id", entry.id},
                  {"request_id", value.request_id},
                  {"app_id", value.application_id},
                  {"operation", op},
                  {"attempt", value.attempt},
                  {"outcome", outcome_name},
                  {"duration_ms", std::chrono::duration_cast<milliseconds>(duration).count()},
                  {"delay_ms", decision.delay.count()},
                  {"memory_bank_status", result.http_status},
                  {"error", record.error.value_or("")}});
}

net::awaitable<void> job_runner::hand_back_held_entries() {
  std::vector<std::string> ids;
  try {
    ids = co_await queue::pending_ids(*commands_, settings_.consumer_name, hand_back_limit);
  } catch (const std::exception& error) {
    logging::error(
        "cannot list the jobs this worker holds; they return after the visibility "
        "timeout",
        {{"error", error.what()}});
    co_return;
  }
  for (const auto& id : ids) {
    try {
      const auto answer = co_await commands_->command("XRANGE", queue::keys::jobs_stream, id, id);
      auto entries = redis::parse_entries(answer);
      redis::stream_entry entry;
      entry.id = id;
      if (entries.empty()) {
        entry.deleted = true;
        queue::settlement ack;
        ack.entry_id = id;
        co_await queue::settle(*commands_, ack, settings_.record_ttl);
        continue;
      }
      entry.fields = std::move(entries.front().fields);
      if (co_await queue::hand_back(*commands_, entry, settings_.record_ttl)) {
        logging::warn("job handed back unfinished at shutdown",
                      {{"job_id", id}, {"outcome", "handed_back"}});
      }
    } catch (const std::exception& error) {
      logging::error("handing back a job failed; it returns after the visibility timeout",
                     {{"job_id", id}, {"error", error.what()}});
    }
  }
}

void job_runner::stop_claiming_on_strand() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  logging::info("job loop stops claiming", {{"in_flight", in_flight_}});
  // Closing the reader's connection ends a blocked XREADGROUP at once; entries Redis delivered
  // just before are in this consumer's pending list and are handed back by stop().
  reader_->stop();
  wake_all();
}

void job_runner::stop_claiming() {
  net::post(strand_, [self = shared_from_this()] { self->stop_claiming_on_strand(); });
}

net::awaitable<void> job_runner::stop() {
  co_await net::post(strand_, net::use_awaitable);
  if (drained_) {
    co_return;
  }
  drained_ = true;
  stop_claiming_on_strand();
  const auto deadline = clock::now() + settings_.shutdown_grace;
  logging::info("job loop draining",
                {{"in_flight", in_flight_}, {"grace_ms", settings_.shutdown_grace.count()}});
  while ((in_flight_ > 0 || loops_running_ > 0) && clock::now() < deadline) {
    drain_timer_.expires_at(deadline);
    co_await drain_timer_.async_wait(await_tuple);
  }
  co_await hand_back_held_entries();
  logging::info("job loop stopped", {{"abandoned", in_flight_}});
}

void start_jobs(service::http_service& service, const worker_settings& settings) {
  const auto executor = service.context().get_executor();
  auto memory_bank = memory_bank::client::create(executor, settings.memory_bank, service.metrics());
  auto reader_options = settings.common.redis.connection;
  auto runner = job_runner::create(executor, settings.jobs, std::move(reader_options),
                                   service.dependencies().redis, memory_bank, service.metrics());
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
