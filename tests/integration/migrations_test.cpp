#include <algorithm>
#include <future>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "common/postgres/migration_runner.hpp"
#include "common/postgres/pool.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/postgres_queries.hpp"
#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"

namespace {

namespace net = boost::asio;
namespace postgres = gpt_adapter::postgres;
using namespace gpt_adapter::testing;
using namespace std::chrono_literals;

using migration_list = std::vector<postgres::migration>;

std::shared_ptr<postgres::pool> make_pool(io_threads& io, const std::string& url) {
  return postgres::pool::create(io.context().get_executor(),
                                {.conninfo = url, .min_size = 0, .max_size = 3});
}

std::vector<int> versions(const std::vector<postgres::applied>& steps) {
  std::vector<int> numbers;
  for (const auto& step : steps) {
    numbers.push_back(step.version);
  }
  return numbers;
}

std::vector<int> embedded_versions() {
  std::vector<int> numbers;
  for (const auto& step : postgres::embedded_migrations()) {
    numbers.push_back(step.version);
  }
  return numbers;
}

bool table_exists(io_threads& io, postgres::pool& database, const std::string& name) {
  return io.run(select_value(database, "SELECT to_regclass($1) IS NOT NULL",
                             postgres::param_list(name))) == "t";
}

table recorded(io_threads& io, postgres::pool& database) {
  return io.run(
      select_rows(database, "SELECT version, name FROM schema_migrations ORDER BY version"));
}

const std::vector<std::string> schema_tables = {"custom_gpt_applications", "custom_gpt_sessions",
                                                "custom_gpt_audit_logs", "custom_gpt_jobs"};

// The error of a statement run inside application_transaction, or nullopt if it succeeded.
net::awaitable<std::optional<postgres::error>> scoped_failure(postgres::pool& database,
                                                              std::string application_id,
                                                              std::string sql,
                                                              std::vector<postgres::param> params) {
  std::optional<postgres::error> failure;
  try {
    co_await database.application_transaction(
        application_id, [&](postgres::connection_lease& lease) -> net::awaitable<void> {
          co_await lease.query(sql, params);
        });
  } catch (const postgres::error& e) {
    failure = e;
  }
  co_return failure;
}

}  // namespace

TEST_CASE("migrations: up, down and up again create, drop and recreate the schema",
          "[integration][migrations]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url());
  const auto all = embedded_versions();
  REQUIRE_FALSE(all.empty());
  CHECK(all.front() == 1);

  const auto before = io.run(postgres::status(*database));
  REQUIRE(before.size() == all.size());
  CHECK(before.front().name == "initial");
  CHECK_FALSE(before.front().applied_at.has_value());

  const auto applied = io.run(postgres::migrate_up(*database, std::nullopt));
  CHECK(versions(applied) == all);
  for (const auto& name : schema_tables) {
    CHECK(table_exists(io, *database, name));
  }
  CHECK(recorded(io, *database).front() == table::value_type{"1", "initial"});
  CHECK(recorded(io, *database).size() == all.size());
  // Row-level security is on, and forced, where rows belong to one application.
  CHECK(io.run(
            select_rows(*database,
                        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                        " WHERE relname LIKE 'custom_gpt_%' AND relkind = 'r' ORDER BY relname")) ==
        table{{"custom_gpt_api_keys", "f", "f"},
              {"custom_gpt_applications", "f", "f"},
              {"custom_gpt_audit_logs", "t", "t"},
              {"custom_gpt_end_users", "f", "f"},
              {"custom_gpt_jobs", "t", "t"},
              {"custom_gpt_sessions", "t", "t"}});
  CHECK(io.run(select_rows(*database,
                           "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles"
                           " WHERE rolname = 'gpt_adapter_runtime'")) == table{{"f", "f", "f"}});

  const auto after_up = io.run(postgres::status(*database));
  REQUIRE(after_up.size() == all.size());
  REQUIRE(after_up.front().applied_at.has_value());
  CHECK(std::regex_match(*after_up.front().applied_at,
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));

  CHECK(io.run(postgres::migrate_up(*database, std::nullopt)).empty());
  CHECK(io.run(postgres::migrate_down(*database, 0)).empty());

  const auto reverted = io.run(postgres::migrate_down(*database, static_cast<int>(all.size())));
  CHECK(versions(reverted) == std::vector<int>(all.rbegin(), all.rend()));
  for (const auto& name : schema_tables) {
    CHECK_FALSE(table_exists(io, *database, name));
  }
  CHECK(recorded(io, *database).empty());
  CHECK(io.run(select_value(
            *database, "SELECT count(*) FROM pg_roles WHERE rolname = 'gpt_adapter_runtime'")) ==
        "0");
  const auto after_down = io.run(postgres::status(*database));
  CHECK(std::none_of(after_down.begin(), after_down.end(),
                     [](const auto& state) { return state.applied_at.has_value(); }));

  CHECK(versions(io.run(postgres::migrate_up(*database, std::nullopt))) == all);
  for (const auto& name : schema_tables) {
    CHECK(table_exists(io, *database, name));
  }
  CHECK(recorded(io, *database).size() == all.size());
  database->stop();
}

TEST_CASE("migrations: concurrent runners apply each migration exactly once",
          "[integration][migrations]") {
  postgres_server server;
  io_threads io(4);
  std::vector<std::shared_ptr<postgres::pool>> pools;
  for (int i = 0; i < 3; ++i) {
    pools.push_back(make_pool(io, server.owner_url()));
  }

  SECTION("the embedded migrations") {
    std::vector<std::future<std::vector<postgres::applied>>> runs;
    for (const auto& database : pools) {
      runs.push_back(net::co_spawn(
          io.context(), [database]() { return postgres::migrate_up(*database, std::nullopt); },
          net::use_future));
    }
    std::vector<int> applied;
    for (auto& run : runs) {
      REQUIRE(run.wait_for(60s) == std::future_status::ready);
      const auto steps = versions(run.get());
      applied.insert(applied.end(), steps.begin(), steps.end());
    }
    std::sort(applied.begin(), applied.end());
    CHECK(applied == embedded_versions());
    CHECK(recorded(io, *pools.front()).size() == embedded_versions().size());
  }

  SECTION("a slow migration makes the others wait, then find nothing to do") {
    // Applied twice, the CREATE TABLE would fail: the test would see an exception.
    const migration_list slow = {
        {1, "slow", "SELECT pg_sleep(0.3); CREATE TABLE race_once (id integer);",
         "DROP TABLE race_once;"},
        {2, "second", "CREATE TABLE race_twice (id integer);", "DROP TABLE race_twice;"}};
    std::vector<std::future<std::vector<postgres::applied>>> runs;
    for (const auto& database : pools) {
      runs.push_back(net::co_spawn(
          io.context(),
          [database, &slow]() { return postgres::migrate_up(*database, std::nullopt, slow); },
          net::use_future));
    }
    std::vector<std::size_t> counts;
    for (auto& run : runs) {
      REQUIRE(run.wait_for(60s) == std::future_status::ready);
      counts.push_back(run.get().size());
    }
    std::sort(counts.begin(), counts.end());
    CHECK(counts == std::vector<std::size_t>{0, 0, 2});
    CHECK(recorded(io, *pools.front()) == table{{"1", "slow"}, {"2", "second"}});
  }
  for (const auto& database : pools) {
    database->stop();
  }
}

TEST_CASE("migrations: target, steps and status", "[integration][migrations]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url());
  const migration_list steps = {
      {1, "first", "CREATE TABLE step_one (id integer);", "DROP TABLE step_one;"},
      {2, "second", "CREATE TABLE step_two (id integer); -- a comment; with a semicolon\n",
       "DROP TABLE step_two;"},
      {3, "third",
       "CREATE FUNCTION step_three() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;b' $body$;"
       "/* ; */ CREATE TABLE step_three_table (note text DEFAULT 'x;y');",
       "DROP TABLE step_three_table; DROP FUNCTION step_three();"}};

  CHECK(versions(io.run(postgres::migrate_up(*database, 1, steps))) == std::vector<int>{1});
  auto states = io.run(postgres::status(*database, steps));
  REQUIRE(states.size() == 3);
  CHECK(states[0].applied_at.has_value());
  CHECK_FALSE(states[1].applied_at.has_value());
  CHECK_FALSE(states[2].applied_at.has_value());

  CHECK(versions(io.run(postgres::migrate_up(*database, std::nullopt, steps))) ==
        std::vector<int>{2, 3});
  CHECK(io.run(select_value(*database, "SELECT step_three()")) == "a;b");
  CHECK(table_exists(io, *database, "step_three_table"));

  CHECK(versions(io.run(postgres::migrate_down(*database, 2, steps))) == std::vector<int>{3, 2});
  CHECK(table_exists(io, *database, "step_one"));
  CHECK_FALSE(table_exists(io, *database, "step_two"));
  CHECK_FALSE(table_exists(io, *database, "step_three_table"));
  states = io.run(postgres::status(*database, steps));
  CHECK(states[0].applied_at.has_value());
  CHECK_FALSE(states[1].applied_at.has_value());

  // Status also lists what the database has and this build does not know.
  const migration_list older_build = {steps[0]};
  states = io.run(postgres::status(*database, older_build));
  REQUIRE(states.size() == 1);
  io.run(postgres::migrate_up(*database, std::nullopt, steps));
  states = io.run(postgres::status(*database, older_build));
  REQUIRE(states.size() == 3);
  CHECK(states[2].name == "third");
  CHECK(states[2].applied_at.has_value());
  database->stop();
}

TEST_CASE("migrations: a failing migration is rolled back whole and releases the lock",
          "[integration][migrations]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url());
  const migration_list broken = {
      {1, "first", "CREATE TABLE kept (id integer);", "DROP TABLE kept;"},
      {2, "broken", "CREATE TABLE half_done (id integer); SELECT * FROM missing_table;",
       "DROP TABLE half_done;"}};

  const auto failure = io.run([&]() -> net::awaitable<std::optional<postgres::error>> {
    std::optional<postgres::error> caught;
    try {
      co_await postgres::migrate_up(*database, std::nullopt, broken);
    } catch (const postgres::error& e) {
      caught = e;
    }
    co_return caught;
  }());
  REQUIRE(failure.has_value());
  CHECK(failure->sqlstate() == "42P01");
  CHECK(std::string(failure->what()).find("0002_broken") != std::string::npos);
  CHECK(table_exists(io, *database, "kept"));
  CHECK_FALSE(table_exists(io, *database, "half_done"));
  CHECK(recorded(io, *database) == table{{"1", "first"}});
  // The failed run's session was closed, which releases its lock once the server notices.
  CHECK(gpt_adapter::testing::wait_until(
      [&] {
        return io.run(select_value(
                   *database, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")) == "0";
      },
      5s));

  migration_list fixed = broken;
  fixed[1].up_sql = "CREATE TABLE half_done (id integer);";
  CHECK(versions(io.run(postgres::migrate_up(*database, std::nullopt, fixed))) ==
        std::vector<int>{2});

  // A migration numbered below one already applied is refused, not slipped in.
  const migration_list with_fourth = {fixed[0], fixed[1], {4, "fourth", "SELECT 1;", "SELECT 1;"}};
  CHECK(versions(io.run(postgres::migrate_up(*database, std::nullopt, with_fourth))) ==
        std::vector<int>{4});
  const migration_list late = {fixed[0],
                               fixed[1],
                               {3, "late", "CREATE TABLE late (id integer);", "DROP TABLE late;"},
                               with_fourth[2]};
  const auto refusal = io.run([&]() -> net::awaitable<std::string> {
    std::string message;
    try {
      co_await postgres::migrate_up(*database, std::nullopt, late);
    } catch (const postgres::error& e) {
      message = e.what();
    }
    co_return message;
  }());
  CHECK(refusal.find("0003_late is older than the applied migration 4") != std::string::npos);
  CHECK_FALSE(table_exists(io, *database, "late"));
  database->stop();
}

TEST_CASE("migrations: row-level security isolates applications for the runtime role",
          "[integration][migrations][rls]") {
  postgres_server server;
  io_threads io(2);
  auto owner = make_pool(io, server.owner_url());
  io.run(postgres::migrate_up(*owner, std::nullopt));
  // Deployments grant the NOLOGIN runtime role to their login role; migrations create none.
  run_sql(server.owner_url(), "GRANT gpt_adapter_runtime TO gpt_adapter_app");

  const auto create_application = [&](const std::string& client_id) {
    return *io.run(select_value(*owner,
                                "INSERT INTO custom_gpt_applications"
                                " (name, client_id, client_secret_hash) VALUES ($1, $1, 'hash')"
                                " RETURNING id::text",
                                postgres::param_list(client_id)));
  };
  const std::string a = create_application("client-a");
  const std::string b = create_application("client-b");
  for (const auto& [request_id, application] : std::vector<std::pair<std::string, std::string>>{
           {"a-job-1", a}, {"a-job-2", a}, {"b-job-1", b}}) {
    io.run(select_rows(*owner,
                       "INSERT INTO custom_gpt_jobs (request_id, application_id, operation)"
                       " VALUES ($1, $2, 'create')",
                       postgres::param_list(request_id, application)));
  }
  for (const auto& application : {a, b}) {
    io.run(select_rows(*owner,
                       "INSERT INTO custom_gpt_audit_logs (application_id, operation_type,"
                       " response_status, request_data) VALUES ($1, 'search', 200, '{\"q\": 1}')",
                       postgres::param_list(application)));
    io.run(select_rows(*owner,
                       "INSERT INTO custom_gpt_sessions (application_id, family_id, token_hash,"
                       " expires_at) VALUES ($1, gen_random_uuid(), $2, now() + interval '1 day')",
                       postgres::param_list(application, application + "-hash")));
  }

  auto runtime = make_pool(io, server.runtime_url());
  CHECK(io.run(select_rows(*runtime,
                           "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles"
                           " WHERE rolname IN ('gpt_adapter_app', 'gpt_adapter_runtime')"
                           " ORDER BY rolname")) ==
        table{{"gpt_adapter_app", "f", "f"}, {"gpt_adapter_runtime", "f", "f"}});
  CHECK(io.run(select_rows(
            *runtime, "SELECT current_user::text, pg_has_role('gpt_adapter_runtime', 'MEMBER')")) ==
        table{{"gpt_adapter_app", "t"}});

  // Without an application in scope nothing is visible.
  CHECK(io.run(select_value(*runtime, "SELECT count(*) FROM custom_gpt_jobs")) == "0");
  CHECK(io.run(select_value(*runtime, "SELECT count(*) FROM custom_gpt_audit_logs")) == "0");

  struct scoped_view {
    table jobs, audit, sessions;
    std::size_t updated_other = 99, deleted_other_jobs = 99, deleted_other_sessions = 99;
    std::size_t inserted_own = 0;
  };
  const auto view = io.run([&]() -> net::awaitable<scoped_view> {
    scoped_view seen;
    co_await runtime->application_transaction(
        a, [&](postgres::connection_lease& lease) -> net::awaitable<void> {
          seen.jobs = gpt_adapter::testing::cells(
              co_await lease.query("SELECT request_id, application_id::text FROM custom_gpt_jobs"
                                   " ORDER BY request_id"));
          seen.audit = gpt_adapter::testing::cells(co_await lease.query(
              "SELECT application_id::text, request_data->>'q' FROM custom_gpt_audit_logs"));
          seen.sessions = gpt_adapter::testing::cells(
              co_await lease.query("SELECT application_id::text FROM custom_gpt_sessions"));
          seen.updated_other = (co_await lease.query("UPDATE custom_gpt_jobs SET status = 'failed'"
                                                     " WHERE application_id = $1",
                                                     postgres::param_list(b)))
                                   .affected_rows();
          seen.deleted_other_jobs =
              (co_await lease.query("DELETE FROM custom_gpt_jobs WHERE application_id = $1",
                                    postgres::param_list(b)))
                  .affected_rows();
          seen.deleted_other_sessions =
              (co_await lease.query("DELETE FROM custom_gpt_sessions WHERE application_id = $1",
                                    postgres::param_list(b)))
                  .affected_rows();
          seen.inserted_own =
              (co_await lease.query("INSERT INTO custom_gpt_jobs (request_id, application_id,"
                                    " operation) VALUES ('a-job-3', $1, 'search')",
                                    postgres::param_list(a)))
                  .affected_rows();
        });
    co_return seen;
  }());
  CHECK(view.jobs == table{{"a-job-1", a}, {"a-job-2", a}});
  CHECK(view.audit == table{{a, "1"}});
  CHECK(view.sessions == table{{a}});
  CHECK(view.updated_other == 0);
  CHECK(view.deleted_other_jobs == 0);
  CHECK(view.deleted_other_sessions == 0);
  CHECK(view.inserted_own == 1);

  // Writing rows for another application violates the policies' WITH CHECK.
  const std::vector<std::string> foreign_writes = {
      "INSERT INTO custom_gpt_jobs (request_id, application_id, operation)"
      " VALUES ('b-job-2', $1, 'create')",
      "INSERT INTO custom_gpt_audit_logs (application_id, operation_type, response_status)"
      " VALUES ($1, 'search', 200)",
      "INSERT INTO custom_gpt_sessions (application_id, family_id, token_hash, expires_at)"
      " VALUES ($1, gen_random_uuid(), 'stolen', now())",
      "UPDATE custom_gpt_jobs SET application_id = $1 WHERE request_id = 'a-job-1'"};
  for (const auto& sql : foreign_writes) {
    const auto failure = io.run(scoped_failure(*runtime, a, sql, postgres::param_list(b)));
    REQUIRE(failure.has_value());
    CHECK(failure->sqlstate() == "42501");
  }
  // The services create only applications that registered themselves (dynamic registration,
  // metadata documents), never an operator's.
  const auto insert_application = io.run(
      scoped_failure(*runtime, a,
                     "INSERT INTO custom_gpt_applications (name, client_id, client_secret_hash)"
                     " VALUES ($1, $1, 'x')",
                     postgres::param_list("intruder")));
  REQUIRE(insert_application.has_value());
  CHECK(insert_application->sqlstate() == "42501");

  // The owner (a superuser, exempt from RLS) confirms nothing of B's changed.
  CHECK(io.run(select_rows(*owner,
                           "SELECT request_id, application_id::text, status FROM custom_gpt_jobs"
                           " ORDER BY request_id")) == table{{"a-job-1", a, "queued"},
                                                             {"a-job-2", a, "queued"},
                                                             {"a-job-3", a, "queued"},
                                                             {"b-job-1", b, "queued"}});
  CHECK(io.run(select_value(*owner, "SELECT count(*) FROM custom_gpt_sessions")) == "2");
  CHECK(io.run(select_value(*owner, "SELECT count(*) FROM custom_gpt_audit_logs")) == "2");

  // Deleting an application takes its sessions and jobs along and keeps its audit trail.
  io.run(select_rows(*owner, "DELETE FROM custom_gpt_applications WHERE id = $1",
                     postgres::param_list(b)));
  CHECK(
      io.run(select_rows(*owner,
                         "SELECT (SELECT count(*) FROM custom_gpt_jobs WHERE application_id = $1),"
                         " (SELECT count(*) FROM custom_gpt_sessions WHERE application_id = $1),"
                         " (SELECT count(*) FROM custom_gpt_audit_logs WHERE application_id = $1)",
                         postgres::param_list(b))) == table{{"0", "0", "1"}});
  runtime->stop();
  owner->stop();
}
