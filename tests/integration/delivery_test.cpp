#include <chrono>
#include <functional>
#include <memory>
#include <signal.h>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/audit/event.hpp"
#include "common/audit/keys.hpp"
#include "common/postgres/migration_runner.hpp"
#include "common/postgres/pool.hpp"
#include "common/queue/job.hpp"
#include "common/queue/job_outcome.hpp"
#include "common/queue/keys.hpp"
#include "common/redis/stream_reply.hpp"
#include "tests/support/admin_cli.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/postgres_queries.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/services.hpp"

using namespace gpt_adapter;
using namespace gpt_adapter::testing;
using Catch::Matchers::Contains;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr auto app_a = "11111111-1111-4111-8111-111111111111";
constexpr auto app_b = "22222222-2222-4222-8222-222222222222";
constexpr auto app_unknown = "99999999-9999-4999-8999-999999999999";

const std::string audit_stream(audit::keys::stream);
const std::string history_stream(queue::keys::history_stream);

queue::time_point now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// A migrated database with two applications, a Redis, and the test's own view of both: the
// superuser pool (not subject to row-level security) and a plain Redis connection.
struct delivery_fixture {
  postgres_server database;
  redis_server redis;
  io_threads io{1};
  std::shared_ptr<postgres::pool> owner =
      postgres::pool::create(io.context().get_executor(),
                             {.conninfo = database.owner_url(), .min_size = 0, .max_size = 2});
  redis_commands commands{redis.port()};

  delivery_fixture() {
    io.run(postgres::migrate_up(*owner, std::nullopt));
    run_sql(database.owner_url(),
            std::string("INSERT INTO custom_gpt_applications (id, name, client_id, "
                        "client_secret_hash) VALUES ('") +
                app_a + "', 'A', 'client-a', 'x'), ('" + app_b + "', 'B', 'client-b', 'x')");
    // What a deployment does for its runtime login role (see 0001_initial.up.sql).
    run_sql(database.owner_url(), "GRANT gpt_adapter_runtime TO gpt_adapter_app");
  }
  ~delivery_fixture() { owner->stop(); }

  // nullopt while PostgreSQL cannot answer.
  std::optional<long long> count(const std::string& sql) {
    try {
      const auto value = io.run(select_value(*owner, sql));
      return value ? std::stoll(*value) : 0;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  std::map<std::string, std::string> worker_environment() const {
    auto environment = service_environment(database, redis);
    environment["AUDIT_BATCH_SIZE"] = "10";
    environment["AUDIT_BATCH_MAX_WAIT_MS"] = "200";
    environment["JOB_HISTORY_BATCH_SIZE"] = "10";
    environment["JOB_HISTORY_BATCH_MAX_WAIT_MS"] = "200";
    environment["DELIVERY_RETRY_MAX_MS"] = "200";
    return environment;
  }

  long long stream_length(const std::string& key) {
    return commands.run({"XLEN", key}).as_integer();
  }
  long long pending(const std::string& key, const std::string& group) {
    return commands.run({"XPENDING", key, group}).as_array().at(0).as_integer();
  }
};

audit::event audit_event(const std::string& application_id, int number) {
  auto event = audit::new_event(application_id, "search", "req-audit-" + std::to_string(number));
  event.response_status = 202;
  event.request_data = {{"query_length", number}};
  event.processing_time_ms = 1.5;
  return event;
}

// Rows of one application as the runtime role sees them under row-level security.
asio::awaitable<long long> visible_rows(postgres::pool& runtime, std::string table,
                                        std::optional<std::string> application_id) {
  long long rows = -1;
  const auto count = [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
    const auto result = co_await lease.query("SELECT count(*) FROM " + table);
    rows = std::stoll(std::string(result.value(0, 0)));
  };
  if (application_id) {
    co_await runtime.application_transaction(*application_id, count);
  } else {
    co_await runtime.transaction(count);
  }
  co_return rows;
}

std::optional<double> metric(const service_process& worker, const std::string& name,
                             const std::string& sink) {
  try {
    return parse_prometheus_text(http_get(worker.port(), "/metrics").body)
        .value(name, {{"sink", sink}});
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Waits for `condition`; on timeout the test fails with the worker's log, which says why.
void require_within(const service_process& worker, const std::string& what,
                    const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                    std::chrono::milliseconds poll_interval = 10ms) {
  if (!wait_until(condition, timeout, poll_interval)) {
    FAIL(what << " did not happen within " << timeout.count() << " ms; worker output:\n"
              << worker.output());
  }
}

void stop_worker(service_process& worker) {
  worker.process().signal(SIGTERM);
  CHECK(worker.process().wait_exit(20s) == 0);
}

}  // namespace

TEST_CASE("delivery: audit events reach PostgreSQL in batches, under row-level security",
          "[integration][delivery]") {
  delivery_fixture fixture;
  // Emitted before any worker ever ran: the group starts at the stream's beginning.
  for (int i = 0; i < 25; ++i) {
    fixture.commands.xadd(audit_stream, audit::encode(audit_event(i % 2 == 0 ? app_a : app_b, i)));
  }
  service_process worker(worker_binary, fixture.worker_environment(), "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));

  require_within(
      worker, "all 25 audit rows",
      [&] { return fixture.count("SELECT count(*) FROM custom_gpt_audit_logs") == 25; }, 20s);
  require_within(
      worker, "the emptied audit stream", [&] { return fixture.stream_length(audit_stream) == 0; },
      10s);
  CHECK(fixture.pending(audit_stream, std::string(audit::keys::consumer_group)) == 0);
  CHECK(fixture.count("SELECT count(DISTINCT request_id) FROM custom_gpt_audit_logs "
                      "WHERE request_data ? 'query_length' AND response_status = 202") == 25);

  // Batches of at most 10: at least three of them for 25 events.
  CHECK(metric(worker, "gpt_adapter_stream_sink_entries_written_total", "audit") == 25);
  CHECK(metric(worker, "gpt_adapter_stream_sink_batch_size_entries_sum", "audit") == 25);
  CHECK(metric(worker, "gpt_adapter_stream_sink_batch_size_entries_count", "audit") >= 3);
  CHECK(metric(worker, "gpt_adapter_stream_sink_lag_seconds", "audit") == 0);

  const auto runtime =
      postgres::pool::create(fixture.io.context().get_executor(),
                             {.conninfo = fixture.database.runtime_url(), .min_size = 0});
  CHECK(fixture.io.run(visible_rows(*runtime, "custom_gpt_audit_logs", std::string(app_a))) == 13);
  CHECK(fixture.io.run(visible_rows(*runtime, "custom_gpt_audit_logs", std::string(app_b))) == 12);
  CHECK(fixture.io.run(visible_rows(*runtime, "custom_gpt_audit_logs", std::nullopt)) == 0);
  runtime->stop();
  stop_worker(worker);
}

TEST_CASE("delivery: audit events survive a PostgreSQL outage and are written exactly once",
          "[integration][delivery]") {
  delivery_fixture fixture;
  service_process worker(worker_binary, fixture.worker_environment(), "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));

  std::vector<audit::event> before;
  for (int i = 0; i < 5; ++i) {
    before.push_back(audit_event(app_a, i));
    fixture.commands.xadd(audit_stream, audit::encode(before.back()));
  }
  require_within(
      worker, "the first 5 audit rows",
      [&] { return fixture.count("SELECT count(*) FROM custom_gpt_audit_logs") == 5; }, 20s);

  fixture.database.stop();
  for (int i = 5; i < 25; ++i) {
    fixture.commands.xadd(audit_stream, audit::encode(audit_event(i % 2 == 0 ? app_a : app_b, i)));
  }
  // Delivered twice: the same events again, as a producer retrying after a timeout would.
  fixture.commands.xadd(audit_stream, audit::encode(before[0]));
  fixture.commands.xadd(audit_stream, audit::encode(before[1]));

  require_within(
      worker, "failed writes while PostgreSQL is down",
      [&] {
        return metric(worker, "gpt_adapter_stream_sink_write_failures_total", "audit")
                   .value_or(0) >= 2;
      },
      20s);
  // Nothing was acknowledged while PostgreSQL was down: every entry is still in the stream.
  CHECK(fixture.stream_length(audit_stream) == 22);
  // The sink holds one full batch and reads no further until it is written.
  CHECK(wait_until(
      [&] { return metric(worker, "gpt_adapter_stream_sink_waiting_entries", "audit") == 10; },
      10s));
  CHECK(metric(worker, "gpt_adapter_stream_sink_lag_seconds", "audit").value_or(0) > 0);

  fixture.database.start();
  require_within(
      worker, "the emptied audit stream after recovery",
      [&] { return fixture.stream_length(audit_stream) == 0; }, 30s);
  CHECK(fixture.pending(audit_stream, std::string(audit::keys::consumer_group)) == 0);
  CHECK(fixture.count("SELECT count(*) FROM custom_gpt_audit_logs") == 25);
  CHECK(fixture.count("SELECT count(DISTINCT request_id) FROM custom_gpt_audit_logs") == 25);
  CHECK(metric(worker, "gpt_adapter_stream_sink_entries_written_total", "audit") == 25);
  stop_worker(worker);
}

TEST_CASE("delivery: entries a dead worker left pending are taken over and written",
          "[integration][delivery]") {
  delivery_fixture fixture;
  const std::string group(audit::keys::consumer_group);
  fixture.commands.run({"XGROUP", "CREATE", audit_stream, group, "0", "MKSTREAM"}).throw_if_error();
  for (int i = 0; i < 7; ++i) {
    fixture.commands.xadd(audit_stream, audit::encode(audit_event(app_a, i)));
  }
  // A worker that read them and died before writing them: they stay in its pending list.
  fixture.commands.run(
      {"XREADGROUP", "GROUP", group, "crashed-worker", "COUNT", "5", "STREAMS", audit_stream, ">"});
  REQUIRE(fixture.pending(audit_stream, group) == 5);

  auto environment = fixture.worker_environment();
  environment["DELIVERY_CLAIM_IDLE_MS"] = "1000";
  service_process worker(worker_binary, environment, "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));
  require_within(
      worker, "all 7 audit rows",
      [&] { return fixture.count("SELECT count(*) FROM custom_gpt_audit_logs") == 7; }, 20s);
  require_within(
      worker, "the emptied audit stream", [&] { return fixture.stream_length(audit_stream) == 0; },
      10s);
  CHECK(fixture.pending(audit_stream, group) == 0);
  stop_worker(worker);
}

TEST_CASE("delivery: final job outcomes land in custom_gpt_jobs, poison goes to a dead stream",
          "[integration][delivery]") {
  delivery_fixture fixture;
  const auto created = now_ms() - std::chrono::seconds(10);
  const auto outcome = [&](std::string request_id, std::string application_id,
                           queue::job_status status, std::chrono::milliseconds completed_after) {
    return queue::job_outcome{.request_id = std::move(request_id),
                              .application_id = std::move(application_id),
                              .end_user_id = "user-1",
                              .op = queue::operation::create,
                              .status = status,
                              .attempts = 1,
                              .processing_time = std::chrono::milliseconds(35),
                              .created_at = created,
                              .completed_at = created + completed_after};
  };
  auto succeeded = outcome("req-1", app_a, queue::job_status::succeeded, 2s);
  succeeded.memory_bank_status = 201;
  succeeded.memory_bank_request_id = "mb-1";
  auto dead = outcome("req-2", app_b, queue::job_status::dead, 3s);
  dead.attempts = 3;
  dead.error = "memory bank answered 503";
  dead.memory_bank_status = 503;
  auto stale = outcome("req-1", app_a, queue::job_status::failed, 1s);

  fixture.commands.xadd(history_stream, queue::encode_outcome(succeeded));
  fixture.commands.xadd(history_stream, queue::encode_outcome(dead));
  fixture.commands.xadd(
      history_stream,
      queue::encode_outcome(outcome("req-3", app_unknown, queue::job_status::succeeded, 1s)));
  fixture.commands.xadd(history_stream, {{"not", "an outcome"}});

  service_process worker(worker_binary, fixture.worker_environment(), "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));
  const auto dead_stream = history_stream + ":dead";
  require_within(
      worker, "the emptied history stream",
      [&] { return fixture.stream_length(history_stream) == 0; }, 20s);
  CHECK(fixture.count("SELECT count(*) FROM custom_gpt_jobs") == 2);
  // The outcome for an application that does not exist (a foreign-key violation) and the
  // undecodable entry are set aside with the reason; they did not hold up the others.
  REQUIRE(fixture.stream_length(dead_stream) == 2);
  const auto set_aside = fixture.commands.run({"XRANGE", dead_stream, "-", "+"}).as_array();
  std::vector<std::string> reasons;
  for (const auto& entry : set_aside) {
    const auto& fields = entry.as_array().at(1).as_array();
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].as_string() == "dead_reason") {
        reasons.push_back(fields[i + 1].as_string());
      }
    }
  }
  REQUIRE(reasons.size() == 2);
  CHECK_THAT(reasons[0], Contains("23503"));
  CHECK_THAT(reasons[1], Contains("undecodable"));

  const auto row = fixture.io.run(select_rows(
      *fixture.owner,
      "SELECT status, attempts, error, memory_bank_status, memory_bank_request_id, end_user_id, "
      "processing_time_ms FROM custom_gpt_jobs ORDER BY request_id"));
  REQUIRE(row.size() == 2);
  CHECK(row[0] == std::vector<std::optional<std::string>>{"succeeded", "1", std::nullopt, "201",
                                                          "mb-1", "user-1", "35"});
  CHECK(row[1] == std::vector<std::optional<std::string>>{"dead", "3", "memory bank answered 503",
                                                          "503", std::nullopt, "user-1", "35"});

  // An older outcome delivered late does not overwrite the newer one.
  fixture.commands.xadd(history_stream, queue::encode_outcome(stale));
  require_within(
      worker, "the emptied history stream (late outcome)",
      [&] { return fixture.stream_length(history_stream) == 0; }, 20s);
  CHECK(fixture.count("SELECT count(*) FROM custom_gpt_jobs WHERE request_id = 'req-1' AND "
                      "status = 'succeeded'") == 1);
  CHECK(metric(worker, "gpt_adapter_stream_sink_entries_rejected_total", "job_history") == 2);
  // What piles up in the dead stream is a gauge operators can alert on, counted at once.
  CHECK(metric(worker, "gpt_adapter_stream_sink_dead_entries", "job_history") == 2);
  CHECK(metric(worker, "gpt_adapter_stream_sink_dead_entries", "audit") == 0);

  const auto runtime =
      postgres::pool::create(fixture.io.context().get_executor(),
                             {.conninfo = fixture.database.runtime_url(), .min_size = 0});
  CHECK(fixture.io.run(visible_rows(*runtime, "custom_gpt_jobs", std::string(app_a))) == 1);
  CHECK(fixture.io.run(visible_rows(*runtime, "custom_gpt_jobs", std::nullopt)) == 0);
  runtime->stop();
  stop_worker(worker);
}

TEST_CASE("delivery: the dead-entry gauges follow what is in the sinks' dead streams",
          "[integration][delivery]") {
  delivery_fixture fixture;
  const std::string audit_dead(audit::keys::dead_stream);
  // Set aside by an earlier run: counted from the start.
  fixture.commands.xadd(audit_dead, {{"dead_reason", "undecodable"}});
  fixture.commands.xadd(audit_dead, {{"dead_reason", "undecodable"}});
  auto environment = fixture.worker_environment();
  environment["WORKER_BACKLOG_INTERVAL_MS"] = "100";
  service_process worker(worker_binary, environment, "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));
  const auto dead_entries = [&](double expected) {
    return [&worker, expected] {
      return metric(worker, "gpt_adapter_stream_sink_dead_entries", "audit") == expected;
    };
  };
  require_within(worker, "2 dead audit entries from an earlier run", dead_entries(2), 10s);
  CHECK(metric(worker, "gpt_adapter_stream_sink_dead_entries", "job_history") == 0);
  // Set aside by another worker, then removed by an operator.
  fixture.commands.xadd(audit_dead, {{"dead_reason", "undecodable"}});
  require_within(worker, "3 dead audit entries", dead_entries(3), 10s);
  fixture.commands.run({"DEL", audit_dead}).throw_if_error();
  require_within(worker, "no dead audit entries once removed", dead_entries(0), 10s);
}

namespace {

queue::job sample_job(const std::string& request_id) {
  return {.request_id = request_id,
          .op = queue::operation::create,
          .application_id = app_a,
          .end_user_id = "user-1",
          .payload = {{"content", "remember this"}},
          .attempt = 3,
          .enqueued_at = now_ms() - std::chrono::minutes(10),
          .deadline = now_ms() - std::chrono::minutes(8)};
}

queue::stream_fields dead_letter_of(const queue::job& job) {
  auto fields = queue::encode(job);
  fields.insert(fields.end(), {{"dead_reason", "exhausted"},
                               {"last_error", "memory bank answered 503"},
                               {"memory_bank_status", "503"},
                               {"attempts", "3"},
                               {"failed_at", "2026-11-22T04:05:06.789Z"},
                               {"source_id", "1-0"}});
  return fields;
}

std::map<std::string, std::string> admin_environment(const redis_server& redis) {
  // The queue commands never touch PostgreSQL, which is not even running here.
  return {{"DATABASE_URL", "postgresql://admin@127.0.0.1:1/gpt_adapter"},
          {"REDIS_URL", redis.url()}};
}

json::value parsed(const admin_cli_result& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("delivery: admin queue stats counts what is in Redis", "[integration][delivery][admin]") {
  redis_server redis;
  redis_commands commands(redis.port());
  const std::string jobs(queue::keys::jobs_stream);
  commands.run({"XGROUP", "CREATE", jobs, "workers", "0", "MKSTREAM"}).throw_if_error();
  for (int i = 0; i < 5; ++i) {
    commands.xadd(jobs, queue::encode(sample_job("req-" + std::to_string(i))));
  }
  commands.run({"XREADGROUP", "GROUP", "workers", "worker-1", "COUNT", "2", "STREAMS", jobs, ">"});
  for (const auto* member : {"a", "b", "c"}) {
    commands.run({"ZADD", std::string(queue::keys::delayed_set), "1", member});
  }
  commands.xadd(std::string(queue::keys::dead_letter_stream), dead_letter_of(sample_job("d1")));
  commands.xadd(std::string(queue::keys::dead_letter_stream), dead_letter_of(sample_job("d2")));
  commands.xadd(audit_stream, {{"event_id", "x"}});
  // Entries the sinks set aside: shown beside their streams.
  commands.xadd(std::string(queue::keys::history_dead_stream), {{"dead_reason", "undecodable"}});
  for (int i = 0; i < 3; ++i) {
    commands.xadd(std::string(audit::keys::dead_stream), {{"dead_reason", "undecodable"}});
  }

  const auto result = run_admin_cli({"queue", "stats", "--json"}, admin_environment(redis));
  REQUIRE(result.status == 0);
  const auto stats = parsed(result).as_object();
  CHECK(stats.at("delayed").as_int64() == 3);
  CHECK(stats.at("dead").as_int64() == 2);
  const auto& streams = stats.at("streams").as_array();
  REQUIRE(streams.size() == 3);
  const auto& job_stream = streams[0].as_object();
  CHECK(job_stream.at("name").as_string() == "jobs");
  CHECK(job_stream.at("length").as_int64() == 5);
  CHECK(job_stream.at("group_exists").as_bool());
  CHECK(job_stream.at("lag").as_int64() == 3);
  CHECK(job_stream.at("pending").as_int64() == 2);
  const auto& consumers = job_stream.at("consumers").as_array();
  REQUIRE(consumers.size() == 1);
  CHECK(consumers[0].at("name").as_string() == "worker-1");
  CHECK(consumers[0].at("pending").as_int64() == 2);
  CHECK(consumers[0].at("idle_ms").as_int64() >= 0);
  CHECK(job_stream.at("dead_key").as_string() == queue::keys::dead_letter_stream);
  CHECK(job_stream.at("dead").as_int64() == 2);
  const auto& history = streams[1].as_object();
  CHECK(history.at("dead_key").as_string() == queue::keys::history_dead_stream);
  CHECK(history.at("dead").as_int64() == 1);
  const auto& audit = streams[2].as_object();
  CHECK(audit.at("length").as_int64() == 1);
  CHECK_FALSE(audit.at("group_exists").as_bool());
  CHECK(audit.at("dead_key").as_string() == audit::keys::dead_stream);
  CHECK(audit.at("dead").as_int64() == 3);

  const auto text = run_admin_cli({"queue", "stats"}, admin_environment(redis));
  CHECK(text.status == 0);
  CHECK_THAT(text.out, Contains("dead letters: 2"));
  CHECK_THAT(text.out, Contains("DEAD"));
  CHECK_THAT(text.out, Contains("worker-1"));

  auto without_redis = admin_environment(redis);
  without_redis.erase("REDIS_URL");
  const auto refused = run_admin_cli({"queue", "stats"}, without_redis);
  CHECK(refused.status == 1);
  CHECK_THAT(refused.err, Contains("REDIS_URL"));
}

TEST_CASE("delivery: admin dlq list, show, replay and purge", "[integration][delivery][admin]") {
  redis_server redis;
  redis_commands commands(redis.port());
  const auto environment = admin_environment(redis);
  const std::string dead(queue::keys::dead_letter_stream);
  const std::string jobs(queue::keys::jobs_stream);
  const auto first = commands.xadd(dead, dead_letter_of(sample_job("req-1")));
  commands.xadd(dead, dead_letter_of(sample_job("req-2")));
  commands.xadd(dead, dead_letter_of(sample_job("req-3")));
  const auto garbage = commands.xadd(dead, {{"not", "a job"}, {"dead_reason", "not_retryable"}});
  commands.run({"HSET", queue::keys::job_record("req-1"), "status", "dead", "attempts", "3",
                "error", "memory bank answered 503", "completed_at", "2026-11-22T04:05:06.789Z"});

  const auto listed = run_admin_cli({"dlq", "list", "--json"}, environment);
  REQUIRE(listed.status == 0);
  const auto letters = parsed(listed).as_array();
  REQUIRE(letters.size() == 4);
  CHECK(letters[0].at("id").as_string() == first);
  CHECK(letters[0].at("fields").at("request_id").as_string() == "req-1");
  CHECK(letters[0].at("fields").at("dead_reason").as_string() == "exhausted");
  const auto table = run_admin_cli({"dlq", "list", "--limit", "2"}, environment);
  CHECK(table.status == 0);
  CHECK_THAT(table.out, Contains("req-2"));
  CHECK_THAT(table.out, !Contains("req-3"));

  const auto shown = run_admin_cli({"dlq", "show", first}, environment);
  CHECK(shown.status == 0);
  CHECK_THAT(shown.out, Contains("memory bank answered 503"));
  CHECK(run_admin_cli({"dlq", "show", "1-1"}, environment).status == 1);
  CHECK(run_admin_cli({"dlq", "replay"}, environment).status == 2);
  CHECK(run_admin_cli({"dlq", "replay", first, "--all"}, environment).status == 2);

  const auto before_replay = now_ms();
  const auto replayed = run_admin_cli({"dlq", "replay", first, "--json"}, environment);
  REQUIRE(replayed.status == 0);
  CHECK(commands.run({"XLEN", dead}).as_integer() == 3);
  const auto queued = commands.run({"XRANGE", jobs, "-", "+"}).as_array();
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].as_array().at(0).as_string() ==
        parsed(replayed).at("replayed").as_array().at(0).at("stream_id").as_string());
  queue::stream_fields fields;
  const auto& flat = queued[0].as_array().at(1).as_array();
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    fields.emplace_back(flat[i].as_string(), flat[i + 1].as_string());
  }
  const auto job = queue::decode(fields);
  REQUIRE(job);
  CHECK(job->request_id == "req-1");
  CHECK(job->attempt == 1);
  CHECK(job->payload == json::object{{"content", "remember this"}});
  CHECK(job->deadline >= before_replay + std::chrono::minutes(2) - std::chrono::seconds(1));
  const auto record = queue::keys::job_record("req-1");
  CHECK(commands.run({"HGET", record, "status"}).as_string() == "queued");
  CHECK(commands.run({"HGET", record, "attempts"}).as_string() == "0");
  CHECK(commands.run({"HEXISTS", record, "error"}).as_integer() == 0);
  CHECK(commands.run({"TTL", record}).as_integer() > 0);

  // --all replays what it can and names what it cannot.
  const auto all = run_admin_cli({"dlq", "replay", "--all", "--json"}, environment);
  CHECK(all.status == 1);
  const auto report = parsed(all).as_object();
  CHECK(report.at("replayed").as_array().size() == 2);
  REQUIRE(report.at("failed").as_array().size() == 1);
  CHECK(report.at("failed").as_array()[0].at("id").as_string() == garbage);
  CHECK(commands.run({"XLEN", jobs}).as_integer() == 3);
  CHECK(commands.run({"XLEN", dead}).as_integer() == 1);

  CHECK(run_admin_cli({"dlq", "purge", garbage}, environment).status == 0);
  CHECK(commands.run({"XLEN", dead}).as_integer() == 0);
  CHECK(run_admin_cli({"dlq", "purge", garbage}, environment).status == 1);

  commands.xadd(dead, dead_letter_of(sample_job("req-4")));
  commands.xadd(dead, dead_letter_of(sample_job("req-5")));
  CHECK(run_admin_cli({"dlq", "purge", "--all"}, environment).status == 2);
  CHECK(commands.run({"XLEN", dead}).as_integer() == 2);
  const auto purged = run_admin_cli({"dlq", "purge", "--all", "--yes", "--json"}, environment);
  REQUIRE(purged.status == 0);
  CHECK(parsed(purged).at("purged").as_int64() == 2);
  CHECK(commands.run({"XLEN", dead}).as_integer() == 0);
}

namespace {

// What a sink appends to an entry it sets aside (worker/stream_sink.cpp).
queue::stream_fields set_aside(queue::stream_fields fields, const std::string& reason) {
  fields.insert(
      fields.end(),
      {{"dead_reason", reason}, {"source_id", "1-0"}, {"failed_at", "2026-11-22T04:05:06.789Z"}});
  return fields;
}

long long length_of(redis_commands& commands, const std::string& key) {
  return commands.run({"XLEN", key}).as_integer();
}

queue::job_outcome orphan_outcome(const std::string& request_id) {
  return {.request_id = request_id,
          .application_id = app_unknown,
          .end_user_id = "user-1",
          .op = queue::operation::create,
          .status = queue::job_status::succeeded,
          .attempts = 1,
          .processing_time = std::chrono::milliseconds(35),
          .created_at = now_ms() - std::chrono::seconds(2),
          .completed_at = now_ms()};
}

}  // namespace

TEST_CASE("delivery: admin dlq --stream lists, replays and purges a sink's dead entries",
          "[integration][delivery][admin]") {
  redis_server redis;
  redis_commands commands(redis.port());
  const auto environment = admin_environment(redis);
  const std::string audit_dead(audit::keys::dead_stream);
  const std::string history_dead(queue::keys::history_dead_stream);
  const auto event = audit_event(app_a, 1);
  const auto refused =
      commands.xadd(audit_dead, set_aside(audit::encode(event), "PostgreSQL refused the row"));
  const auto bare = commands.xadd(audit_dead, {{"dead_reason", "undecodable"}});
  // Stream ids are per stream: entries added in the same millisecond to two streams share one.
  // These two get small ids of their own, so no id is in two of the dead streams.
  const auto add_at = [&](const std::string& key, const std::string& id,
                          const queue::stream_fields& fields) {
    std::vector<std::string> command{"XADD", key, id};
    for (const auto& [name, value] : fields) {
      command.push_back(name);
      command.push_back(value);
    }
    commands.run(command).throw_if_error();
    return id;
  };
  const auto outcome = add_at(
      history_dead, "2-0", set_aside(queue::encode_outcome(orphan_outcome("req-orphan")), "23503"));
  const auto job_letter =
      add_at(std::string(queue::keys::dead_letter_stream), "1-0", dead_letter_of(sample_job("j")));

  // Each command sees its own dead stream; jobs is still the default.
  const auto audit_list =
      run_admin_cli({"dlq", "list", "--stream", "audit", "--json"}, environment);
  REQUIRE(audit_list.status == 0);
  const auto audit_letters = parsed(audit_list).as_array();
  REQUIRE(audit_letters.size() == 2);
  CHECK(audit_letters[0].at("id").as_string() == refused);
  CHECK(audit_letters[0].at("fields").at("event_id").as_string() == event.event_id);
  CHECK(audit_letters[1].at("id").as_string() == bare);
  const auto jobs_list = parsed(run_admin_cli({"dlq", "list", "--json"}, environment)).as_array();
  REQUIRE(jobs_list.size() == 1);
  CHECK(jobs_list[0].at("id").as_string() == job_letter);
  const auto history_table = run_admin_cli({"dlq", "list", "--stream", "job_history"}, environment);
  CHECK(history_table.status == 0);
  CHECK_THAT(history_table.out, Contains("req-orphan") && Contains(app_unknown) &&
                                    Contains("23503") && !Contains("req-audit-1"));
  const auto shown = parsed(
      run_admin_cli({"dlq", "show", outcome, "--stream", "job_history", "--json"}, environment));
  CHECK(shown.at("fields").at("request_id").as_string() == "req-orphan");
  CHECK(run_admin_cli({"dlq", "show", outcome, "--stream", "audit"}, environment).status == 1);
  CHECK(run_admin_cli({"dlq", "show", outcome}, environment).status == 1);
  const auto unknown = run_admin_cli({"dlq", "list", "--stream", "history"}, environment);
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.err, Contains("jobs, job_history, audit"));

  // Back to the audit stream exactly as the API wrote it; the entry the sink never wrote
  // stays.
  const auto replayed =
      run_admin_cli({"dlq", "replay", "--stream", "audit", "--all", "--json"}, environment);
  CHECK(replayed.status == 1);
  const auto report = parsed(replayed).as_object();
  REQUIRE(report.at("replayed").as_array().size() == 1);
  const auto& done = report.at("replayed").as_array()[0].as_object();
  CHECK(done.at("id").as_string() == refused);
  CHECK(done.at("request_id").as_string() == event.request_id);
  REQUIRE(report.at("failed").as_array().size() == 1);
  CHECK(report.at("failed").as_array()[0].at("id").as_string() == bare);
  CHECK_THAT(std::string(report.at("failed").as_array()[0].at("error").as_string()),
             Contains("not set aside"));
  const auto requeued = redis::parse_entries(commands.run({"XRANGE", audit_stream, "-", "+"}));
  REQUIRE(requeued.size() == 1);
  CHECK(requeued[0].id == done.at("stream_id").as_string());
  CHECK(requeued[0].fields == audit::encode(event));
  CHECK(length_of(commands, audit_dead) == 1);
  CHECK(run_admin_cli({"dlq", "replay", refused, "--stream", "audit"}, environment).status == 1);

  const auto history_replay =
      run_admin_cli({"dlq", "replay", outcome, "--stream", "job_history"}, environment);
  CHECK(history_replay.status == 0);
  CHECK_THAT(history_replay.out,
             Contains("Replayed dead letter " + outcome + " to " + history_stream));
  CHECK(length_of(commands, history_stream) == 1);
  CHECK(length_of(commands, history_dead) == 0);

  CHECK(run_admin_cli({"dlq", "purge", bare, "--stream", "job_history"}, environment).status == 1);
  const auto refused_purge =
      run_admin_cli({"dlq", "purge", "--all", "--stream", "audit"}, environment);
  CHECK(refused_purge.status == 2);
  CHECK_THAT(refused_purge.err, Contains("dlq replay --stream audit --all"));
  const auto purged =
      run_admin_cli({"dlq", "purge", "--all", "--yes", "--stream", "audit", "--json"}, environment);
  REQUIRE(purged.status == 0);
  CHECK(parsed(purged).at("purged").as_int64() == 1);
  CHECK(length_of(commands, audit_dead) == 0);
  CHECK(length_of(commands, std::string(queue::keys::dead_letter_stream)) == 1);
}

TEST_CASE(
    "delivery: sink entries PostgreSQL refused reach it once the cause is fixed and they "
    "are replayed",
    "[integration][delivery][admin]") {
  delivery_fixture fixture;
  // A schema problem: a constraint the events do not meet.
  run_sql(fixture.database.owner_url(),
          "ALTER TABLE custom_gpt_audit_logs ADD CONSTRAINT refuses_import "
          "CHECK (operation_type <> 'import')");
  auto event = audit_event(app_a, 1);
  event.operation_type = "import";
  fixture.commands.xadd(audit_stream, audit::encode(event));
  fixture.commands.xadd(audit_stream, {{"not", "an event"}});
  // An outcome for an application not (yet) in the database.
  fixture.commands.xadd(history_stream, queue::encode_outcome(orphan_outcome("req-orphan")));
  service_process worker(worker_binary, fixture.worker_environment(), "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));
  const std::string audit_dead(audit::keys::dead_stream);
  const std::string history_dead(queue::keys::history_dead_stream);
  require_within(
      worker, "2 dead audit entries", [&] { return fixture.stream_length(audit_dead) == 2; }, 20s);
  require_within(
      worker, "1 dead history entry", [&] { return fixture.stream_length(history_dead) == 1; },
      20s);
  const auto environment = admin_environment(fixture.redis);
  const auto shown = run_admin_cli({"dlq", "list", "--stream", "audit", "--json"}, environment);
  REQUIRE(shown.status == 0);
  const auto letters = parsed(shown).as_array();
  REQUIRE(letters.size() == 2);
  CHECK_THAT(std::string(letters[0].at("fields").at("dead_reason").as_string()),
             Contains("23514") && Contains("refuses_import"));
  CHECK_THAT(std::string(letters[1].at("fields").at("dead_reason").as_string()),
             Contains("undecodable"));

  run_sql(fixture.database.owner_url(),
          "ALTER TABLE custom_gpt_audit_logs DROP CONSTRAINT refuses_import");
  run_sql(fixture.database.owner_url(),
          std::string("INSERT INTO custom_gpt_applications (id, name, client_id, "
                      "client_secret_hash) VALUES ('") +
              app_unknown + "', 'C', 'client-c', 'x')");
  const auto replayed =
      run_admin_cli({"dlq", "replay", "--stream", "audit", "--all", "--json"}, environment);
  CHECK(replayed.status == 1);
  const auto report = parsed(replayed).as_object();
  CHECK(report.at("replayed").as_array().size() == 1);
  REQUIRE(report.at("failed").as_array().size() == 1);
  CHECK(report.at("failed").as_array()[0].at("id") == letters[1].at("id"));
  CHECK_THAT(std::string(report.at("failed").as_array()[0].at("error").as_string()),
             Contains("cannot decode"));
  CHECK(run_admin_cli({"dlq", "replay", "--stream", "job_history", "--all"}, environment).status ==
        0);

  require_within(
      worker, "the replayed audit row",
      [&] {
        return fixture.count("SELECT count(*) FROM custom_gpt_audit_logs WHERE id = '" +
                             event.event_id + "' AND operation_type = 'import'") == 1;
      },
      20s);
  require_within(
      worker, "the replayed history row",
      [&] {
        return fixture.count(
                   "SELECT count(*) FROM custom_gpt_jobs WHERE request_id = 'req-orphan'") == 1;
      },
      20s);
  require_within(
      worker, "the emptied sink streams",
      [&] {
        return fixture.stream_length(audit_stream) == 0 &&
               fixture.stream_length(history_stream) == 0;
      },
      10s);
  // Written, not set aside again: only the entry no sink can decode is left.
  CHECK(fixture.stream_length(audit_dead) == 1);
  CHECK(fixture.stream_length(history_dead) == 0);
  CHECK(metric(worker, "gpt_adapter_stream_sink_entries_rejected_total", "audit") == 2);
  stop_worker(worker);
}

// A measurement, not run by default: ./integration_tests "[bench]" -s
TEST_CASE("delivery: audit write throughput", "[.][bench][delivery]") {
  delivery_fixture fixture;
  constexpr int events = 20000;
  for (int i = 0; i < events; ++i) {
    fixture.commands.xadd(audit_stream, audit::encode(audit_event(i % 2 == 0 ? app_a : app_b, i)));
  }
  auto environment = fixture.worker_environment();
  environment["AUDIT_BATCH_SIZE"] = "500";
  environment["LOG_LEVEL"] = "warn";
  service_process worker(worker_binary, environment, "WORKER_OPS_PORT");
  REQUIRE(worker.wait_healthy(15s));
  const auto started = std::chrono::steady_clock::now();
  require_within(
      worker, "the emptied audit stream", [&] { return fixture.stream_length(audit_stream) == 0; },
      120s, 5ms);
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(fixture.count("SELECT count(*) FROM custom_gpt_audit_logs") == events);
  WARN(
      events
      << " audit events written in " << seconds << " s: " << events / seconds
      << " events/s; batches: "
      << metric(worker, "gpt_adapter_stream_sink_batch_size_entries_count", "audit").value_or(0)
      << ", mean batch duration "
      << metric(worker, "gpt_adapter_stream_sink_batch_duration_seconds_sum", "audit").value_or(0) /
             metric(worker, "gpt_adapter_stream_sink_batch_duration_seconds_count", "audit")
                 .value_or(1) *
             1000
      << " ms");
  stop_worker(worker);
}
