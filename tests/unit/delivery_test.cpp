#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/audit/event.hpp"
#include "common/queue/job_outcome.hpp"
#include "worker/audit_log_writer.hpp"
#include "worker/delivery_settings.hpp"
#include "worker/job_history_writer.hpp"
#include "worker/stream_sink.hpp"

using namespace gpt_adapter;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr auto app_a = "11111111-1111-4111-8111-111111111111";
constexpr auto app_b = "22222222-2222-4222-8222-222222222222";

queue::time_point at_ms(long long millis) {
  return queue::time_point(std::chrono::milliseconds(millis));
}

redis::stream_entry audit_entry(std::string id, std::string application_id,
                                std::string event_id = {}) {
  auto event = audit::new_event(std::move(application_id), "search", "req-" + id);
  if (!event_id.empty()) {
    event.event_id = std::move(event_id);
  }
  event.response_status = 202;
  event.request_data = {{"query_length", 12}};
  return {.id = std::move(id), .fields = audit::encode(event)};
}

redis::stream_entry outcome_entry(std::string id, std::string application_id,
                                  std::string request_id, queue::job_status status,
                                  long long completed_ms) {
  queue::job_outcome outcome{.request_id = std::move(request_id),
                             .application_id = std::move(application_id),
                             .op = queue::operation::create,
                             .status = status,
                             .attempts = 2,
                             .processing_time = std::chrono::milliseconds(40),
                             .created_at = at_ms(1'700'000'000'000),
                             .completed_at = at_ms(completed_ms)};
  return {.id = std::move(id), .fields = queue::encode_outcome(outcome)};
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("delivery: VALUES placeholders are numbered across rows with their casts", "[delivery]") {
  CHECK(worker::values_placeholders(2, {"uuid", ""}) == "($1::uuid, $2), ($3::uuid, $4)");
  CHECK(worker::values_placeholders(1, {"", "jsonb", "integer"}) == "($1, $2::jsonb, $3::integer)");
  CHECK(worker::values_placeholders(0, {"uuid"}).empty());
}

TEST_CASE("delivery: audit batches become one idempotent INSERT per application", "[delivery]") {
  const auto batch = worker::prepare_audit_batch(
      {audit_entry("1-0", app_a), audit_entry("2-0", app_b), audit_entry("3-0", app_a)});
  CHECK(batch.rejected.empty());
  REQUIRE(batch.statements.size() == 2);
  // In order of first appearance, each carrying only its own application's rows (RLS).
  CHECK(batch.statements[0].application_id == app_a);
  CHECK(batch.statements[0].rows == 2);
  CHECK(batch.statements[0].params.size() == 20);
  CHECK(batch.statements[1].application_id == app_b);
  CHECK(batch.statements[1].rows == 1);
  for (const auto& statement : batch.statements) {
    CHECK_THAT(statement.sql, StartsWith("INSERT INTO custom_gpt_audit_logs"));
    CHECK_THAT(statement.sql, Contains("ON CONFLICT (id) DO NOTHING"));
    CHECK(count_of(statement.sql, "::uuid") == 2 * statement.rows);
    for (std::size_t row = 0; row < statement.rows; ++row) {
      CHECK(statement.params[row * 10 + 1] == statement.application_id);
    }
  }
}

TEST_CASE("delivery: the same audit event twice in a batch is written once", "[delivery]") {
  const std::string event_id = "33333333-3333-4333-8333-333333333333";
  const auto batch = worker::prepare_audit_batch(
      {audit_entry("1-0", app_a, event_id), audit_entry("2-0", app_a, event_id)});
  REQUIRE(batch.statements.size() == 1);
  CHECK(batch.statements[0].rows == 1);
  CHECK(batch.statements[0].params[0] == event_id);
}

TEST_CASE("delivery: undecodable audit entries are rejected with the field at fault",
          "[delivery]") {
  auto broken = audit_entry("2-0", app_a);
  for (auto& [name, value] : broken.fields) {
    if (name == "application_id") {
      value = "not-a-uuid";
    }
  }
  const auto batch = worker::prepare_audit_batch(
      {audit_entry("1-0", app_a), broken, {.id = "3-0", .fields = {{"junk", "x"}}}});
  REQUIRE(batch.statements.size() == 1);
  CHECK(batch.statements[0].rows == 1);
  REQUIRE(batch.rejected.size() == 2);
  CHECK(batch.rejected[0].id == "2-0");
  CHECK_THAT(batch.rejected[0].reason, Contains("application_id"));
  CHECK(batch.rejected[1].id == "3-0");
}

TEST_CASE("delivery: job outcomes become one upsert per application, latest outcome winning",
          "[delivery]") {
  const auto batch = worker::prepare_job_history_batch({
      outcome_entry("1-0", app_a, "req-1", queue::job_status::dead, 1'700'000'005'000),
      outcome_entry("2-0", app_b, "req-2", queue::job_status::succeeded, 1'700'000'006'000),
      outcome_entry("3-0", app_a, "req-1", queue::job_status::succeeded, 1'700'000'009'000),
      outcome_entry("4-0", app_a, "req-3", queue::job_status::failed, 1'700'000'001'000),
  });
  CHECK(batch.rejected.empty());
  REQUIRE(batch.statements.size() == 2);
  const auto& first = batch.statements[0];
  CHECK(first.application_id == app_a);
  // An upsert may not touch one row twice: req-1 appears once, as its later outcome.
  REQUIRE(first.rows == 2);
  CHECK(first.params[0] == "req-1");
  CHECK(first.params[4] == "succeeded");
  CHECK(first.params[12] == "req-3");
  CHECK_THAT(first.sql, Contains("ON CONFLICT (request_id) DO UPDATE"));
  CHECK_THAT(first.sql, Contains("job.completed_at <= EXCLUDED.completed_at"));
  CHECK(batch.statements[1].application_id == app_b);
}

TEST_CASE("delivery: outcomes that are not outcomes are rejected", "[delivery]") {
  auto bad_app = outcome_entry("2-0", "app-1", "req-2", queue::job_status::failed, 1);
  const auto batch =
      worker::prepare_job_history_batch({bad_app, {.id = "3-0", .fields = {{"request_id", "x"}}}});
  CHECK(batch.statements.empty());
  REQUIRE(batch.rejected.size() == 2);
  CHECK_THAT(batch.rejected[0].reason, Contains("application_id"));
}

TEST_CASE("delivery: only errors about the rows themselves count as rejections", "[delivery]") {
  using postgres::error;
  CHECK(worker::is_rejection_of_data(error("invalid input syntax for type uuid", "22P02")));
  CHECK(worker::is_rejection_of_data(error("insert violates foreign key constraint", "23503")));
  CHECK(worker::is_rejection_of_data(
      error("new row violates row-level security policy for table \"t\"", "42501")));
  // A missing GRANT, an unreachable or restarting server, an unmigrated schema: retried.
  CHECK_FALSE(worker::is_rejection_of_data(error("permission denied for table t", "42501")));
  CHECK_FALSE(worker::is_rejection_of_data(error("no connection available")));
  CHECK_FALSE(worker::is_rejection_of_data(error("connection lost", "08006")));
  CHECK_FALSE(worker::is_rejection_of_data(error("terminating connection", "57P01")));
  CHECK_FALSE(worker::is_rejection_of_data(error("relation does not exist", "42P01")));
}

TEST_CASE("delivery: settings have defaults and name the bad variable", "[delivery][config]") {
  using config::env_reader;
  using config::env_source;
  const auto defaults = worker::read_delivery_settings(env_reader(env_source::from_map({})));
  CHECK(defaults.audit.batch_size == 500);
  CHECK(defaults.audit.batch_max_wait == std::chrono::milliseconds(1000));
  CHECK(defaults.job_history.claim_idle == std::chrono::milliseconds(60000));

  const auto custom = worker::read_delivery_settings(
      env_reader(env_source::from_map({{"AUDIT_BATCH_SIZE", "7"},
                                       {"JOB_HISTORY_BATCH_MAX_WAIT_MS", "25"},
                                       {"DELIVERY_CLAIM_IDLE_MS", "5000"}})));
  CHECK(custom.audit.batch_size == 7);
  CHECK(custom.job_history.batch_size == 500);
  CHECK(custom.job_history.batch_max_wait == std::chrono::milliseconds(25));
  CHECK(custom.audit.claim_idle == std::chrono::milliseconds(5000));

  CHECK_THROWS_WITH(worker::read_delivery_settings(
                        env_reader(env_source::from_map({{"AUDIT_BATCH_SIZE", "5001"}}))),
                    Contains("AUDIT_BATCH_SIZE"));
}
