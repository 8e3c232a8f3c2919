#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <signal.h>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/postgres/migration_runner.hpp"
#include "common/postgres/pool.hpp"
#include "common/queue/job_queue.hpp"
#include "common/queue/keys.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"
#include "common/redis/url.hpp"
#include "tests/support/admin_cli.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/memory_bank_dev.hpp"
#include "tests/support/postgres_queries.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/services.hpp"

namespace queue = gpt_adapter::queue;
namespace redis = gpt_adapter::redis;
namespace postgres = gpt_adapter::postgres;
using namespace gpt_adapter::testing;

namespace {

constexpr auto application_id = "6f1c1c9a-3f0e-4d7b-9a39-1f1d2b8e7c01";
constexpr auto end_user_id = "0b6c2f9e-8d1a-4c55-9a43-2f3e1b7d9c10";
constexpr std::chrono::milliseconds record_ttl = std::chrono::hours(1);

// A migrated PostgreSQL with one application, a Redis holding the queue, the dev Memory Bank,
// and the test's own view of them; workers are started per test with their own settings.
struct pipeline {
  postgres_server database;
  redis_server redis;
  memory_bank_dev bank;
  io_threads threads{1};
  std::shared_ptr<postgres::pool> owner =
      postgres::pool::create(threads.context().get_executor(),
                             {.conninfo = database.owner_url(), .min_size = 0, .max_size = 2});
  std::shared_ptr<redis::client> client;
  redis_commands direct{redis.port()};

  pipeline() {
    threads.run(postgres::migrate_up(*owner, std::nullopt));
    run_sql(database.owner_url(),
            std::string("INSERT INTO custom_gpt_applications (id, name, client_id, "
                        "client_secret_hash) VALUES ('") +
                application_id + "', 'A', 'client-a', 'x')");
    run_sql(database.owner_url(), "GRANT gpt_adapter_runtime TO gpt_adapter_app");
    client = redis::client::create(threads.context().get_executor(), redis::parse_url(redis.url()));
    client->start();
  }
  ~pipeline() {
    client->stop();
    owner->stop();
  }

  std::map<std::string, std::string> environment(
      const std::map<std::string, std::string>& overrides = {}) const {
    auto values = service_environment(database, redis);
    values["MEMORY_BANK_API_URL"] = bank.url();
    values["MEMORY_BANK_DIALECT"] = "mem0-oss";
    values["WORKER_SCHEDULER_INTERVAL_MS"] = "20";
    values["WORKER_CLAIM_INTERVAL_MS"] = "100";
    values["WORKER_BACKLOG_INTERVAL_MS"] = "200";
    values["WORKER_READ_BLOCK_MS"] = "200";
    values["JOB_HISTORY_BATCH_MAX_WAIT_MS"] = "50";
    for (const auto& [name, value] : overrides) {
      values[name] = value;
    }
    return values;
  }

  std::unique_ptr<service_process> start_worker(
      const std::map<std::string, std::string>& overrides = {}) {
    auto worker =
        std::make_unique<service_process>(worker_binary, environment(overrides), "WORKER_OPS_PORT");
    REQUIRE(worker->wait_healthy(20s));
    return worker;
  }

  queue::job enqueue(const std::string& request_id,
                     const std::string& payload = R"({"content":"likes green tea"})",
                     queue::operation op = queue::operation::create) {
    queue::job value;
    value.request_id = request_id;
    value.op = op;
    value.application_id = application_id;
    value.end_user_id = end_user_id;
    value.payload = boost::json::parse(payload).as_object();
    value.enqueued_at =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    value.deadline = value.enqueued_at + std::chrono::minutes(5);
    threads.run(queue::job_queue(*client, record_ttl).enqueue(value));
    return value;
  }

  std::optional<queue::job_record> record(const std::string& request_id) {
    return threads.run(queue::job_queue(*client).read_record(request_id));
  }

  bool has_status(const std::string& request_id, queue::job_status status) {
    const auto found = record(request_id);
    return found && found->status == status;
  }

  long long count(std::string_view command, std::string_view key) {
    return direct.run({std::string(command), std::string(key)}).as_integer();
  }

  long long history_rows(const std::string& request_id, const std::string& status) {
    const auto value = threads.run(select_value(
        *owner, "SELECT count(*) FROM custom_gpt_jobs WHERE request_id = $1 AND status = $2",
        {request_id, status}));
    return value ? std::stoll(*value) : 0;
  }

  std::vector<redis::stream_entry> dead_letters() {
    return redis::parse_entries(
        direct.run({"XRANGE", std::string(queue::keys::dead_letter_stream), "-", "+"}));
  }
};

const std::string* field(const redis::stream_entry& entry, std::string_view name) {
  for (const auto& [key, value] : entry.fields) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

// The worker's log lines with this message (one per job transition).
std::vector<boost::json::object> transitions(const service_process& worker,
                                             std::string_view message) {
  std::vector<boost::json::object> found;
  for (auto& line : worker.log_lines()) {
    if (line.at("message").as_string() == message) {
      found.push_back(std::move(line));
    }
  }
  return found;
}

// The transitions once at least `expected` of them are logged: a job's state is visible in Redis
// a moment before its log line reaches us, so a count is waited for, never read at once.
std::vector<boost::json::object> transitions(const service_process& worker,
                                             std::string_view message, std::size_t expected) {
  std::vector<boost::json::object> found;
  wait_until(
      [&] {
        found = transitions(worker, message);
        return found.size() >= expected;
      },
      10s);
  return found;
}

// For a failed wait: shows what the worker logged, and stays false.
bool show_log(const service_process& worker) {
  UNSCOPED_INFO("worker log:\n" << worker.output());
  return false;
}

}  // namespace

TEST_CASE("worker runs a queued job: result in the record, outcome in the history",
          "[integration][worker][jobs]") {
  pipeline stack;
  auto worker = stack.start_worker();
  stack.enqueue("req-create");
  REQUIRE((wait_until([&] { return stack.has_status("req-create", queue::job_status::succeeded); },
                      20s) ||
           show_log(*worker)));
  const auto record = stack.record("req-create");
  CHECK(record->attempts == 1);
  CHECK(record->memory_bank_status == 200);
  CHECK(record->completed_at.has_value());
  const auto result = boost::json::parse(record->result.value());
  CHECK(result.at(0).at("content").as_string() == "likes green tea");
  CHECK(stack.bank.calls("add") == 1);

  // The history outcome reaches custom_gpt_jobs through the worker's delivery.
  REQUIRE(wait_until([&] { return stack.history_rows("req-create", "succeeded") == 1; }, 20s));
  // Acknowledged and deleted: nothing left pending or in the stream.
  CHECK(stack.count("XLEN", queue::keys::jobs_stream) == 0);

  // A search job of the same end user finds it.
  stack.enqueue("req-search", R"({"query":"green tea"})", queue::operation::search);
  REQUIRE(wait_until([&] { return stack.has_status("req-search", queue::job_status::succeeded); },
                     20s));
  const auto found = boost::json::parse(stack.record("req-search")->result.value());
  REQUIRE(found.as_array().size() == 1);
  CHECK(found.at(0).at("content").as_string() == "likes green tea");

  const auto lines = transitions(*worker, "job succeeded", 2);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].at("request_id").as_string() == "req-create");
  CHECK(lines[0].at("app_id").as_string() == application_id);
  CHECK(lines[0].at("operation").as_string() == "create");
  CHECK(lines[0].at("attempt").as_int64() == 1);
  CHECK(lines[0].contains("duration_ms"));
  worker->process().signal(SIGTERM);
  CHECK(worker->process().wait_exit(20s) == 0);
}

TEST_CASE("worker retries transient failures with bounded, jittered delays",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"fail_next", 2}, {"fail_status", 500}});
  auto worker = stack.start_worker({{"JOB_MAX_ATTEMPTS", "3"},
                                    {"JOB_RETRY_BASE_DELAY_MS", "300"},
                                    {"JOB_RETRY_MAX_DELAY_MS", "5000"},
                                    {"MEMORY_BANK_READ_RETRIES", "0"}});
  const auto started = std::chrono::steady_clock::now();
  stack.enqueue("req-retry");
  REQUIRE(
      wait_until([&] { return stack.has_status("req-retry", queue::job_status::succeeded); }, 20s));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(stack.record("req-retry")->attempts == 3);
  // Attempt 1's add failed; each retry first looks for what it may have stored (a search),
  // which failed once more, then found nothing and added.
  CHECK(stack.bank.calls("add") == 2);
  CHECK(stack.bank.calls("search") == 2);
  const auto retries = transitions(*worker, "job retry", 2);
  REQUIRE(retries.size() == 2);
  // Full jitter: after attempt n the delay is in [0, 300 ms * 2^(n-1)).
  CHECK(retries[0].at("attempt").as_int64() == 1);
  CHECK(retries[0].at("delay_ms").as_int64() < 300);
  CHECK(retries[0].at("memory_bank_status").as_int64() == 500);
  CHECK(retries[1].at("attempt").as_int64() == 2);
  CHECK(retries[1].at("delay_ms").as_int64() < 600);
  CHECK(elapsed < 10s);
}

TEST_CASE("worker dead-letters what cannot succeed, without retrying",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"fail_next", 1}, {"fail_status", 400}});
  auto worker = stack.start_worker({{"JOB_RETRY_BASE_DELAY_MS", "10"}});
  stack.enqueue("req-rejected");
  REQUIRE(
      wait_until([&] { return stack.has_status("req-rejected", queue::job_status::dead); }, 20s));
  CHECK(stack.record("req-rejected")->attempts == 1);
  CHECK(stack.record("req-rejected")->memory_bank_status == 400);

  // A payload the worker cannot use never reaches the Memory Bank.
  stack.enqueue("req-invalid", R"({"metadata":{}})");
  REQUIRE(
      wait_until([&] { return stack.has_status("req-invalid", queue::job_status::dead); }, 20s));
  CHECK(stack.bank.calls("add") == 1);

  const auto dead = stack.dead_letters();
  REQUIRE(dead.size() == 2);
  CHECK(*field(dead[0], "request_id") == "req-rejected");
  CHECK(*field(dead[0], "dead_reason") == "not_retryable");
  CHECK(*field(dead[0], "memory_bank_status") == "400");
  CHECK(*field(dead[0], "attempts") == "1");
  CHECK(field(dead[0], "failed_at") != nullptr);
  CHECK(field(dead[0], "source_id") != nullptr);
  CHECK(queue::decode(dead[0].fields).ok());
  CHECK(*field(dead[1], "request_id") == "req-invalid");
  CHECK(field(dead[1], "last_error")->find("content") != std::string::npos);
  REQUIRE(wait_until([&] { return stack.history_rows("req-rejected", "dead") == 1; }, 20s));

  // Once the cause is gone, an operator's replay runs the job again and it succeeds.
  const auto replayed = run_admin_cli(
      {"dlq", "replay", dead[0].id},
      {{"DATABASE_URL", stack.database.owner_url()}, {"REDIS_URL", stack.redis.url()}});
  REQUIRE(replayed.status == 0);
  REQUIRE(wait_until([&] { return stack.has_status("req-rejected", queue::job_status::succeeded); },
                     20s));
  CHECK(stack.record("req-rejected")->attempts == 1);
  CHECK(stack.bank.calls("add") == 2);
  CHECK(stack.dead_letters().size() == 1);
  CHECK(wait_until([&] { return stack.history_rows("req-rejected", "succeeded") == 1; }, 20s));
}

TEST_CASE("worker dead-letters a job whose attempts are exhausted", "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"fail_next", 100}, {"fail_status", 502}});
  auto worker = stack.start_worker({{"JOB_MAX_ATTEMPTS", "2"},
                                    {"JOB_RETRY_BASE_DELAY_MS", "10"},
                                    {"MEMORY_BANK_BREAKER_FAILURES", "1000"}});
  stack.enqueue("req-exhausted");
  REQUIRE(
      wait_until([&] { return stack.has_status("req-exhausted", queue::job_status::dead); }, 20s));
  const auto record = stack.record("req-exhausted");
  CHECK(record->attempts == 2);
  CHECK(record->error.has_value());
  const auto dead = stack.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(*field(dead[0], "dead_reason") == "exhausted");
  CHECK(*field(dead[0], "attempts") == "2");
  CHECK(*field(dead[0], "memory_bank_status") == "502");
  // The second attempt looked for what the first may have stored, and that failed too.
  CHECK(stack.bank.calls("add") == 1);
  CHECK(stack.bank.calls("search") >= 1);
}

TEST_CASE("worker dead-letters a job handed out more than JOB_MAX_DELIVERIES times",
          "[integration][worker][jobs]") {
  pipeline stack;
  const auto job = stack.enqueue("req-poison");
  stack.enqueue("req-redelivered-once");
  // A consumer that vanished read both jobs. The first then killed every worker that took it: it
  // was claimed (each claim counts a delivery) five more times without ever being settled.
  const std::string stream(queue::keys::jobs_stream);
  const std::string group(queue::keys::consumer_group);
  const auto created = stack.direct.run({"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"});
  REQUIRE((created.type != redis::reply::kind::error || created.text.find("BUSYGROUP") == 0));
  const auto read = redis::parse_read(stack.direct.run(
      {"XREADGROUP", "GROUP", group, "crashed-worker", "COUNT", "2", "STREAMS", stream, ">"}));
  REQUIRE(read.size() == 2);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(stack.direct.run({"XCLAIM", stream, group, "crashed-worker", "0", read[0].id})
                .as_array()
                .size() == 1);
  }
  auto worker = stack.start_worker({{"JOB_MAX_DELIVERIES", "3"},
                                    {"WORKER_SOFT_TIME_LIMIT_MS", "200"},
                                    {"WORKER_HARD_TIME_LIMIT_MS", "300"},
                                    {"MEMORY_BANK_ADD_TIMEOUT_MS", "250"},
                                    {"WORKER_VISIBILITY_TIMEOUT_MS", "400"},
                                    {"WORKER_CLAIM_INTERVAL_MS", "100"}});
  REQUIRE(
      (wait_until([&] { return stack.has_status("req-poison", queue::job_status::dead); }, 20s) ||
       show_log(*worker)));
  // The job read once is reclaimed and runs: one more delivery is within the limit.
  REQUIRE(wait_until(
      [&] { return stack.has_status("req-redelivered-once", queue::job_status::succeeded); }, 20s));
  CHECK(stack.bank.calls("add") == 1);  // the poisoned job never ran again
  CHECK(stack.record("req-poison")->error->find("JOB_MAX_DELIVERIES 3") != std::string::npos);
  const auto dead = stack.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(*field(dead[0], "dead_reason") == "redelivered");
  CHECK(*field(dead[0], "request_id") == job.request_id);
  CHECK(stack.count("XLEN", queue::keys::jobs_stream) == 0);
  REQUIRE(wait_until([&] { return stack.history_rows("req-poison", "dead") == 1; }, 20s));
}

TEST_CASE("worker delays jobs while the circuit is open without burning attempts",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"fail_next", 1}, {"fail_status", 500}});
  auto worker = stack.start_worker({{"JOB_MAX_ATTEMPTS", "2"},
                                    {"JOB_RETRY_BASE_DELAY_MS", "20"},
                                    {"MEMORY_BANK_BREAKER_FAILURES", "1"},
                                    {"MEMORY_BANK_BREAKER_OPEN_MS", "1500"}});
  // Ready once every I/O thread's Redis connection is up, which follows /health by a moment.
  CHECK(wait_until([&] { return http_get(worker->port(), "/health/ready").status == 200; }, 10s));
  stack.enqueue("req-breaker");
  // While the circuit is open the worker reports itself not ready, naming the Memory Bank.
  http_reply not_ready;
  REQUIRE(wait_until(
      [&] {
        not_ready = http_get(worker->port(), "/health/ready");
        return not_ready.status == 503;
      },
      20s));
  CHECK(not_ready.json().at("dependencies").at("memory_bank") == "unavailable");
  CHECK(not_ready.json().at("dependencies").at("redis") == "ok");
  REQUIRE(wait_until([&] { return stack.has_status("req-breaker", queue::job_status::succeeded); },
                     20s));
  CHECK(wait_until([&] { return http_get(worker->port(), "/health/ready").status == 200; }, 10s));
  // Attempt 1 failed and opened the circuit; attempt 2 met the open circuit and waited for the
  // trial instead of counting (with 2 attempts allowed, a counted wait would have killed it).
  CHECK(stack.record("req-breaker")->attempts == 2);
  const auto delayed = transitions(*worker, "job delayed", 1);
  REQUIRE_FALSE(delayed.empty());
  CHECK(delayed.front().at("attempt").as_int64() == 2);
  CHECK(delayed.front().at("delay_ms").as_int64() > 0);
  CHECK(stack.bank.calls("add") == 2);
  CHECK(stack.dead_letters().empty());
}

TEST_CASE("kill -9 of a worker mid-batch: another reclaims, every job completes once",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"latency_ms", 300}});
  // The visibility-timeout path: the heartbeat outlives the test, so only idle time reveals the
  // dead consumer (as with a worker that kept no heartbeat).
  const std::map<std::string, std::string> settings{{"WORKER_CONCURRENCY", "4"},
                                                    {"WORKER_SOFT_TIME_LIMIT_MS", "1000"},
                                                    {"WORKER_HARD_TIME_LIMIT_MS", "1500"},
                                                    {"MEMORY_BANK_ADD_TIMEOUT_MS", "1200"},
                                                    {"WORKER_VISIBILITY_TIMEOUT_MS", "2000"},
                                                    {"WORKER_HEARTBEAT_TTL_MS", "600000"},
                                                    // The history entries the killed worker's
                                                    // delivery had read are reclaimed too.
                                                    {"DELIVERY_CLAIM_IDLE_MS", "1000"}};
  auto first = stack.start_worker(settings);
  constexpr int jobs = 20;
  for (int i = 0; i < jobs; ++i) {
    stack.enqueue("req-crash-" + std::to_string(i));
  }
  REQUIRE(wait_until([&] { return stack.bank.calls("add") >= 6; }, 20s));
  first->process().signal(SIGKILL);
  REQUIRE(first->process().wait_exit(10s).has_value());
  const auto before_restart = stack.bank.calls("add");
  // What the killed worker finished, read from Redis: its own log may have lost the last lines.
  std::set<std::string> finished_before_restart;
  for (int i = 0; i < jobs; ++i) {
    const auto request_id = "req-crash-" + std::to_string(i);
    if (stack.has_status(request_id, queue::job_status::succeeded)) {
      finished_before_restart.insert(request_id);
    }
  }

  auto second = stack.start_worker(settings);
  REQUIRE(wait_until(
      [&] {
        for (int i = 0; i < jobs; ++i) {
          if (!stack.has_status("req-crash-" + std::to_string(i), queue::job_status::succeeded)) {
            return false;
          }
        }
        return true;
      },
      60s, 50ms));
  // Each job settled exactly once: the second worker settled every job the first had not, and
  // none twice or again; only the jobs in flight at the crash (at most the concurrency) ran twice
  // against the Memory Bank.
  std::multiset<std::string> settled_after_restart;
  for (const auto& line :
       transitions(*second, "job succeeded", jobs - finished_before_restart.size())) {
    settled_after_restart.insert(std::string(line.at("request_id").as_string()));
  }
  CHECK(settled_after_restart.size() + finished_before_restart.size() == jobs);
  for (const auto& request_id : settled_after_restart) {
    INFO(request_id);
    CHECK(settled_after_restart.count(request_id) == 1);
    CHECK_FALSE(finished_before_restart.contains(request_id));
  }
  CHECK(stack.bank.calls("add") >= jobs);
  CHECK(stack.bank.calls("add") <= jobs + 4);
  CHECK(before_restart < jobs);
  CHECK_FALSE(
      transitions(*second,
                  "entries reclaimed from a consumer that held them past the visibility timeout", 1)
          .empty());
  CHECK(stack.count("XLEN", queue::keys::jobs_stream) == 0);
  REQUIRE(wait_until(
      [&] {
        const auto value =
            stack.threads.run(select_value(*stack.owner,
                                           "SELECT count(*) FROM custom_gpt_jobs WHERE status = "
                                           "'succeeded'"));
        return value && std::stoll(*value) == jobs;
      },
      20s));
}

// The request ids of the jobs `consumer` holds (delivered, not acknowledged).
std::set<std::string> held_jobs(pipeline& stack, const std::string& consumer) {
  std::set<std::string> held;
  const auto pending =
      stack.direct.run({"XPENDING", std::string(queue::keys::jobs_stream),
                        std::string(queue::keys::consumer_group), "-", "+", "100", consumer});
  for (const auto& item : pending.as_array()) {
    const auto id = std::string(item.as_array().at(0).as_string());
    for (const auto& entry : redis::parse_entries(
             stack.direct.run({"XRANGE", std::string(queue::keys::jobs_stream), id, id}))) {
      if (const auto* request_id = field(entry, "request_id")) {
        held.insert(*request_id);
      }
    }
  }
  return held;
}

bool in_group(pipeline& stack, const std::string& consumer) {
  const auto consumers =
      stack.direct.run({"XINFO", "CONSUMERS", std::string(queue::keys::jobs_stream),
                        std::string(queue::keys::consumer_group)});
  for (const auto& item : consumers.as_array()) {
    for (const auto& [name, value] : redis::parse_info_map(item)) {
      if (name == "name" && value.text == consumer) {
        return true;
      }
    }
  }
  return false;
}

TEST_CASE("kill -9 of one of two workers: the other runs every job it held within 10 s",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"latency_ms", 400}});
  // The default visibility timeout (150 s): only the heartbeat can reveal the death this soon.
  auto victim =
      stack.start_worker({{"WORKER_CONCURRENCY", "4"}, {"WORKER_CONSUMER_NAME", "victim"}});
  auto survivor =
      stack.start_worker({{"WORKER_CONCURRENCY", "4"}, {"WORKER_CONSUMER_NAME", "survivor"}});
  constexpr int jobs = 40;
  for (int i = 0; i < jobs; ++i) {
    stack.enqueue("req-takeover-" + std::to_string(i));
  }
  std::set<std::string> held;
  REQUIRE(wait_until(
      [&] {
        held = held_jobs(stack, "victim");
        return held.size() >= 2;
      },
      20s, 20ms));
  victim->process().signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  REQUIRE(victim->process().wait_exit(10s).has_value());
  // What it held at the kill, read again: it may have settled one more in the meantime.
  held = held_jobs(stack, "victim");

  const auto started_by_survivor = [&] {
    std::set<std::string> started;
    for (const auto& line : transitions(*survivor, "job started")) {
      started.insert(std::string(line.at("request_id").as_string()));
    }
    return started;
  };
  const bool all_running_again = wait_until(
      [&] {
        const auto started = started_by_survivor();
        return std::all_of(held.begin(), held.end(),
                           [&](const std::string& id) { return started.contains(id); });
      },
      10s, 20ms);
  const auto recovery = std::chrono::steady_clock::now() - killed;
  INFO("recovery took " << std::chrono::duration_cast<std::chrono::milliseconds>(recovery).count()
                        << " ms for " << held.size() << " jobs");
  REQUIRE((all_running_again || show_log(*survivor)));
  CHECK(recovery < 10s);
  CHECK_FALSE(transitions(*survivor, "entries taken over from a consumer whose heartbeat lapsed", 1)
                  .empty());
  CHECK(parse_prometheus_text(http_get(survivor->port(), "/metrics").body)
            .value("gpt_adapter_queue_entries_taken_over_total", {{"stream", "jobs"}})
            .value_or(0) >= static_cast<double>(held.size()));

  REQUIRE(wait_until(
      [&] {
        for (int i = 0; i < jobs; ++i) {
          if (!stack.has_status("req-takeover-" + std::to_string(i),
                                queue::job_status::succeeded)) {
            return false;
          }
        }
        return true;
      },
      60s, 50ms));
  // The dead consumer is removed from the group once its entries were taken.
  CHECK(wait_until([&] { return !in_group(stack, "victim"); }, 5s));
  CHECK(in_group(stack, "survivor"));
}

TEST_CASE("a live worker slower than the heartbeat TTL keeps its jobs",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"latency_ms", 5000}});
  auto slow = stack.start_worker({{"WORKER_CONCURRENCY", "2"},
                                  {"WORKER_CONSUMER_NAME", "slow"},
                                  {"WORKER_HEARTBEAT_INTERVAL_MS", "200"},
                                  {"WORKER_HEARTBEAT_TTL_MS", "1500"}});
  stack.enqueue("req-slow-0");
  stack.enqueue("req-slow-1");
  REQUIRE(wait_until([&] { return held_jobs(stack, "slow").size() == 2; }, 20s, 20ms));
  // Another worker with free slots, looking for dead consumers several times per TTL, while the
  // slow one runs its two jobs for over three TTLs: its consumer is idle (it does not read with
  // no free slot) but its heartbeat is alive. (The TTL leaves room for a sanitizer build's
  // stalls on a loaded machine: a refresh later than the TTL would look like a death.)
  auto idle = stack.start_worker({{"WORKER_CONSUMER_NAME", "idle"},
                                  {"WORKER_HEARTBEAT_INTERVAL_MS", "200"},
                                  {"WORKER_HEARTBEAT_TTL_MS", "1500"}});
  REQUIRE(wait_until(
      [&] {
        return stack.has_status("req-slow-0", queue::job_status::succeeded) &&
               stack.has_status("req-slow-1", queue::job_status::succeeded);
      },
      20s));
  CHECK(transitions(*slow, "job succeeded", 2).size() == 2);
  CHECK(transitions(*idle, "job started").empty());
  CHECK(stack.bank.calls("add") == 2);
}

TEST_CASE("400 jobs, kill -9 and restart after every 100: all succeed well inside a minute",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"latency_ms", 50}});
  const std::map<std::string, std::string> settings{{"WORKER_CONCURRENCY", "16"}};
  constexpr int jobs = 400;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < jobs; ++i) {
    stack.enqueue("req-restart-" + std::to_string(i));
  }
  const auto succeeded = [&] {
    int count = 0;
    for (int i = 0; i < jobs; ++i) {
      count += stack.has_status("req-restart-" + std::to_string(i), queue::job_status::succeeded);
    }
    return count;
  };
  auto worker = stack.start_worker(settings);
  for (int round = 1; round <= 3; ++round) {
    REQUIRE(wait_until([&] { return succeeded() >= round * 100; }, 60s, 20ms));
    worker->process().signal(SIGKILL);
    REQUIRE(worker->process().wait_exit(10s).has_value());
    // A new process is a new consumer (<hostname>-<pid>): the old one's entries come back only
    // by a takeover.
    worker = stack.start_worker(settings);
  }
  REQUIRE((wait_until([&] { return succeeded() == jobs; }, 60s, 50ms) || show_log(*worker)));
  const auto took = std::chrono::steady_clock::now() - started;
  INFO("took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 45s);
  CHECK(stack.count("XLEN", queue::keys::jobs_stream) == 0);
  CHECK(stack.dead_letters().empty());
}

TEST_CASE("SIGTERM: the worker finishes what it can and hands back the rest at once",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"latency_ms", 3000}});
  auto first = stack.start_worker({{"WORKER_CONCURRENCY", "2"},
                                   {"WORKER_SHUTDOWN_GRACE_MS", "300"},
                                   {"WORKER_VISIBILITY_TIMEOUT_MS", "600000"}});
  for (int i = 0; i < 4; ++i) {
    stack.enqueue("req-drain-" + std::to_string(i));
  }
  REQUIRE(wait_until(
      [&] {
        int running = 0;
        for (int i = 0; i < 4; ++i) {
          running += stack.has_status("req-drain-" + std::to_string(i), queue::job_status::running);
        }
        return running == 2;
      },
      20s));
  first->process().signal(SIGTERM);
  CHECK((first->process().wait_exit(20s) == 0 || show_log(*first)));
  CHECK(transitions(*first, "job handed back unfinished at shutdown").size() == 2);
  // Nothing is held by the stopped consumer: all four wait in the stream, records say queued.
  const auto backlog = stack.threads.run(queue::job_queue(*stack.client).read_backlog());
  CHECK(backlog.pending == 0);
  CHECK(backlog.undelivered == 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(stack.has_status("req-drain-" + std::to_string(i), queue::job_status::queued));
  }

  stack.bank.clear_faults();
  // The visibility timeout is 10 minutes: only the hand-back lets this worker take them now.
  auto second = stack.start_worker({{"WORKER_VISIBILITY_TIMEOUT_MS", "600000"}});
  REQUIRE(wait_until(
      [&] {
        for (int i = 0; i < 4; ++i) {
          if (!stack.has_status("req-drain-" + std::to_string(i), queue::job_status::succeeded)) {
            return false;
          }
        }
        return true;
      },
      20s));
  CHECK(transitions(*second, "job succeeded").size() == 4);
}

TEST_CASE(
    "SIGTERM: the worker takes no job once shutdown is requested, even while it still "
    "reports ready during the readiness delay",
    "[integration][worker][jobs]") {
  pipeline stack;
  auto worker = stack.start_worker({{"SHUTDOWN_READINESS_DELAY_MS", "3000"}});
  stack.enqueue("req-before-stop");
  REQUIRE(wait_until(
      [&] { return stack.has_status("req-before-stop", queue::job_status::succeeded); }, 20s));

  worker->process().signal(SIGTERM);
  REQUIRE((transitions(*worker, "job loop stops claiming", 1).size() == 1 || show_log(*worker)));
  // Queued while the worker waits out its readiness delay: another worker's job, not this one's.
  stack.enqueue("req-after-stop");
  CHECK(worker->process().wait_exit(20s) == 0);
  CHECK(transitions(*worker, "job succeeded").size() == 1);
  // Claiming stopped at the signal, not only once the delay and the drain were over.
  std::vector<std::string> sequence;
  for (const auto& line : worker->log_lines()) {
    const auto message = std::string(line.at("message").as_string());
    if (message == "shutdown requested" || message == "job loop stops claiming" ||
        message == "drained; stopping") {
      sequence.push_back(message);
    }
  }
  CHECK(sequence == std::vector<std::string>{"shutdown requested", "job loop stops claiming",
                                             "drained; stopping"});
  CHECK(stack.has_status("req-after-stop", queue::job_status::queued));
  const auto backlog = stack.threads.run(queue::job_queue(*stack.client).read_backlog());
  CHECK(backlog.pending == 0);
  CHECK(backlog.undelivered == 1);
}

TEST_CASE("Redis restart with AOF: no accepted job is lost", "[integration][worker][jobs]") {
  pipeline stack;
  for (int i = 0; i < 10; ++i) {
    stack.enqueue("req-aof-" + std::to_string(i));
  }
  // A crash right after the enqueues were acknowledged (appendfsync always).
  stack.redis.kill();
  stack.redis.start();
  auto worker = stack.start_worker();
  REQUIRE(wait_until(
      [&] {
        for (int i = 0; i < 10; ++i) {
          if (!stack.has_status("req-aof-" + std::to_string(i), queue::job_status::succeeded)) {
            return false;
          }
        }
        return true;
      },
      30s));
  CHECK(stack.bank.calls("add") == 10);
  // And while the worker runs: a restart under it loses nothing either.
  stack.redis.kill();
  stack.redis.start();
  stack.enqueue("req-aof-after");
  REQUIRE(wait_until(
      [&] { return stack.has_status("req-aof-after", queue::job_status::succeeded); }, 30s));
}

TEST_CASE("worker warns at the soft time limit and abandons the attempt at the hard one",
          "[integration][worker][jobs]") {
  pipeline stack;
  stack.bank.set_faults({{"latency_ms", 5000}});
  // A search: its call may take MEMORY_BANK_REQUEST_TIMEOUT_MS (10 s), past the hard limit.
  auto worker = stack.start_worker({{"JOB_MAX_ATTEMPTS", "1"},
                                    {"WORKER_SOFT_TIME_LIMIT_MS", "200"},
                                    {"WORKER_HARD_TIME_LIMIT_MS", "600"},
                                    {"MEMORY_BANK_ADD_TIMEOUT_MS", "500"},
                                    {"WORKER_VISIBILITY_TIMEOUT_MS", "60000"}});
  const auto started = std::chrono::steady_clock::now();
  stack.enqueue("req-slow", R"({"query":"tea"})", queue::operation::search);
  REQUIRE((wait_until([&] { return stack.has_status("req-slow", queue::job_status::dead); }, 20s) ||
           show_log(*worker)));
  // Dead long before the Memory Bank would have answered.
  CHECK(std::chrono::steady_clock::now() - started < 4s);
  CHECK(stack.record("req-slow")->error->find("hard time limit") != std::string::npos);
  CHECK(transitions(*worker, "job passed its soft time limit", 1).size() == 1);
  // Operators can alert on it: a counter, not only a log line.
  const auto passed_soft_limit = [&] {
    return parse_prometheus_text(http_get(worker->port(), "/metrics").body)
        .value("gpt_adapter_job_soft_time_limit_exceeded_total", {{"operation", "search"}});
  };
  CHECK(passed_soft_limit() == 1);
  const auto dead = stack.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(*field(dead[0], "dead_reason") == "exhausted");
  // The worker is still healthy and takes the next job.
  stack.bank.clear_faults();
  stack.enqueue("req-after-slow");
  REQUIRE(wait_until(
      [&] { return stack.has_status("req-after-slow", queue::job_status::succeeded); }, 20s));
  // A job within its limits is not counted.
  CHECK(passed_soft_limit() == 1);
}
