#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

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
using clock_type = std::chrono::steady_clock;

std::shared_ptr<postgres::pool> make_pool(io_threads& io, const std::string& url,
                                          postgres::pool_options options = {}) {
  options.conninfo = url;
  return postgres::pool::create(io.context().get_executor(), std::move(options));
}

std::size_t utf8_characters(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Whether the server still has a session with backend process `pid`.
bool backend_exists(io_threads& io, postgres::pool& database, const std::string& pid) {
  return io.run(select_value(database, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int",
                             postgres::param_list(pid))) == "1";
}

}  // namespace

TEST_CASE("postgres pool: parameters round-trip as text, with NULL, unicode and quotes",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url(), {.min_size = 0, .max_size = 2});
  const std::string unicode = "zażółć gęślą jaźń — 日本語 🚀";
  const std::string hostile = "x'); DROP TABLE pg_class; --";

  const table row = io.run(select_rows(
      *database, "SELECT $1::text, $2::text, $3::text, length($1), octet_length($1), $4::int + 1",
      postgres::param_list(unicode, std::nullopt, hostile, "41")));
  REQUIRE(row.size() == 1);
  CHECK(row[0][0] == unicode);
  CHECK(row[0][1] == std::nullopt);
  CHECK(row[0][2] == hostile);
  CHECK(row[0][3] == std::to_string(utf8_characters(unicode)));
  CHECK(row[0][4] == std::to_string(unicode.size()));
  CHECK(row[0][5] == "42");

  struct outcome {
    std::size_t inserted = 0, updated = 0, deleted = 0;
    bool null_reported = false;
    std::string by_name;
    bool absent_column_throws = false;
    std::string command_tag;
  };
  const auto observed = io.run([&]() -> net::awaitable<outcome> {
    outcome seen;
    co_await database->query("CREATE TABLE items (id integer PRIMARY KEY, label text)");
    auto rows = postgres::param_list("1", "one", "2", std::nullopt, "3", "three");
    const auto inserted = co_await database->query(
        "INSERT INTO items (id, label) VALUES ($1, $2), ($3, $4), ($5, $6)", std::move(rows));
    seen.inserted = inserted.affected_rows();
    seen.command_tag = std::string(inserted.command_tag());
    const auto updated =
        co_await database->query("UPDATE items SET label = upper(label) WHERE label IS NOT NULL");
    seen.updated = updated.affected_rows();
    const auto selected = co_await database->query("SELECT id, label FROM items WHERE id = $1",
                                                   postgres::param_list("2"));
    seen.null_reported = selected.is_null(0, selected.column("label")) &&
                         !selected.get(0, selected.column("label")).has_value();
    const auto named = co_await database->query("SELECT label FROM items WHERE id = 3");
    seen.by_name = std::string(named.value(0, named.column("label")));
    try {
      static_cast<void>(named.column("absent"));
    } catch (const std::out_of_range&) {
      seen.absent_column_throws = true;
    }
    const auto deleted = co_await database->query("DELETE FROM items");
    seen.deleted = deleted.affected_rows();
    co_return seen;
  }());
  CHECK(observed.inserted == 3);
  CHECK(observed.command_tag == "INSERT 0 3");
  CHECK(observed.updated == 2);
  CHECK(observed.null_reported);
  CHECK(observed.by_name == "THREE");
  CHECK(observed.absent_column_throws);
  CHECK(observed.deleted == 3);

  // Text parameters travel as C strings: a NUL would silently cut them, so it is refused.
  const auto nul = io.run(
      failure_of(*database, "SELECT $1::text", postgres::param_list(std::string("a\0b", 3))));
  REQUIRE(nul.has_value());
  CHECK(nul->sqlstate() == "22021");
  database->stop();
}

TEST_CASE("postgres pool: SQL errors carry their SQLSTATE and leave the pool usable",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url(), {.min_size = 0, .max_size = 1});

  const auto missing = io.run(failure_of(*database, "SELECT * FROM no_such_table"));
  REQUIRE(missing.has_value());
  CHECK(missing->sqlstate() == "42P01");
  CHECK(std::string(missing->what()).find("no_such_table") != std::string::npos);

  const auto syntax = io.run(failure_of(*database, "SELEKT 1"));
  REQUIRE(syntax.has_value());
  CHECK(syntax->sqlstate() == "42601");

  io.run(select_rows(*database, "CREATE TABLE named (name text CONSTRAINT named_unique UNIQUE)"));
  io.run(select_rows(*database, "INSERT INTO named VALUES ('a')"));
  const auto duplicate = io.run(failure_of(*database, "INSERT INTO named VALUES ('a')"));
  REQUIRE(duplicate.has_value());
  CHECK(duplicate->sqlstate() == "23505");
  CHECK(duplicate->constraint() == "named_unique");
  // Only the primary message: DETAIL lines quote values, which may be request data.
  CHECK(std::string(duplicate->what()).find("(name)=(a)") == std::string::npos);

  // The same single connection served every statement: errors did not break it.
  CHECK(io.run(select_value(*database, "SELECT 1")) == "1");
  // A lease goes back to the pool asynchronously, just after the query's caller resumed.
  CHECK(wait_until(
      [&] {
        const auto stats = database->statistics();
        return stats.total == 1 && stats.idle == 1;
      },
      5s));
  database->stop();
}

TEST_CASE("postgres pool: 100 concurrent queries on 4 threads never exceed max_size",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(4);
  const std::string application_name = "pool-limit-test";
  auto database = make_pool(io, server.owner_url() + "?application_name=" + application_name,
                            {.min_size = 0, .max_size = 4});

  std::atomic<std::size_t> peak_total{0};
  std::vector<std::future<std::vector<std::string>>> answers;
  for (int i = 0; i < 100; ++i) {
    // Each caller runs on a strand of its own and must be resumed on it after every query.
    const auto strand = net::make_strand(io.context());
    answers.push_back(net::co_spawn(
        strand,
        [database, i, strand, &peak_total,
         &application_name]() -> net::awaitable<std::vector<std::string>> {
          const auto rows = co_await database->query(
              "SELECT $1::int * 2, (SELECT count(*) FROM pg_stat_activity"
              " WHERE application_name = $2), pg_sleep(0.005)",
              postgres::param_list(std::to_string(i), application_name));
          const bool resumed_on_strand = strand.running_in_this_thread();
          std::size_t seen = peak_total.load();
          const std::size_t total = database->statistics().total;
          while (total > seen && !peak_total.compare_exchange_weak(seen, total)) {
          }
          std::vector<std::string> answer;
          answer.emplace_back(rows.value(0, 0));
          answer.emplace_back(rows.value(0, 1));
          answer.emplace_back(resumed_on_strand ? "own strand" : "elsewhere");
          co_return answer;
        },
        net::use_future));
  }
  int server_sessions_peak = 0;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(answers[i].wait_for(60s) == std::future_status::ready);
    const auto answer = answers[i].get();
    CHECK(answer[0] == std::to_string(i * 2));
    CHECK(answer[2] == "own strand");
    server_sessions_peak = std::max(server_sessions_peak, std::stoi(answer[1]));
  }
  CHECK(server_sessions_peak <= 4);
  CHECK(server_sessions_peak >= 2);
  CHECK(peak_total.load() <= 4);
  CHECK(wait_until(
      [&] {
        const auto stats = database->statistics();
        return stats.in_use == 0 && stats.waiting == 0 && stats.idle == stats.total;
      },
      5s));
  CHECK(database->statistics().total <= 4);
  database->stop();
  database.reset();
  CHECK(io.drained(10s));
}

TEST_CASE("postgres pool: acquire gives up after acquire_timeout while all connections are held",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database =
      make_pool(io, server.owner_url(), {.min_size = 0, .max_size = 2, .acquire_timeout = 300ms});

  struct outcome {
    postgres::pool::stats while_held{};
    postgres::pool::stats after_timeout{};
    std::optional<std::string> failure;
    std::chrono::milliseconds waited{};
    std::chrono::milliseconds reacquired_in{};
  };
  const auto observed = io.run([&]() -> net::awaitable<outcome> {
    outcome seen;
    std::optional<postgres::connection_lease> first(co_await database->acquire());
    auto second = co_await database->acquire();
    seen.while_held = database->statistics();
    const auto started = clock_type::now();
    try {
      auto third = co_await database->acquire();
    } catch (const postgres::error& e) {
      seen.failure = e.what();
    }
    seen.waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);
    seen.after_timeout = database->statistics();
    first.reset();
    const auto again = clock_type::now();
    auto third = co_await database->acquire();
    seen.reacquired_in =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - again);
    co_return seen;
  }());
  CHECK(observed.while_held.total == 2);
  CHECK(observed.while_held.in_use == 2);
  REQUIRE(observed.failure.has_value());
  CHECK(observed.failure->find("no database connection became available") != std::string::npos);
  CHECK(observed.waited >= 250ms);
  CHECK(observed.waited < 2s);
  CHECK(observed.after_timeout.waiting == 0);
  CHECK(observed.after_timeout.total == 2);
  CHECK(observed.reacquired_in < 250ms);
  database->stop();
}

TEST_CASE("postgres pool: query_timeout cancels a long statement on the server",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database =
      make_pool(io, server.owner_url(), {.min_size = 0, .max_size = 2, .query_timeout = 300ms});

  const auto started = clock_type::now();
  const auto failure = io.run(failure_of(*database, "SELECT pg_sleep(10)"));
  const auto elapsed = clock_type::now() - started;
  REQUIRE(failure.has_value());
  CHECK(failure->sqlstate() == "57014");
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 3s);

  // Without the cancel request the backend would go on sleeping for the full ten seconds.
  CHECK(wait_until(
      [&] {
        return io.run(select_value(*database,
                                   "SELECT count(*) FROM pg_stat_activity"
                                   " WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'")) ==
               "0";
      },
      5s, 50ms));
  // The timed-out connection was dropped; the pool goes on with a fresh one.
  CHECK(io.run(select_value(*database, "SELECT 'still working'")) == "still working");
  CHECK(database->statistics().total <= 2);
  database->stop();
}

TEST_CASE("postgres pool: idle connections killed by a restart are replaced without a failure",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url(), {.min_size = 3, .max_size = 4});
  database->start();
  REQUIRE(wait_until([&] { return database->statistics().idle == 3; }, 10s));
  const auto before = io.run(select_value(*database, "SELECT pg_postmaster_start_time()::text"));

  server.stop();
  server.start();

  // All three idle sessions are dead now; the pool notices before sending anything.
  const auto after = io.run(select_value(*database, "SELECT pg_postmaster_start_time()::text"));
  CHECK(after != before);
  std::vector<std::future<std::optional<std::string>>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(net::co_spawn(
        io.context(),
        [database, i]() -> net::awaitable<std::optional<std::string>> {
          co_return co_await select_value(*database, "SELECT $1::int",
                                          postgres::param_list(std::to_string(i)));
        },
        net::use_future));
  }
  for (int i = 0; i < 8; ++i) {
    REQUIRE(answers[i].wait_for(30s) == std::future_status::ready);
    CHECK(answers[i].get() == std::to_string(i));
  }
  CHECK(database->statistics().total <= 4);
  database->stop();
}

TEST_CASE("postgres pool: fails fast while the database is down and recovers on its own",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database =
      make_pool(io, server.owner_url(), {.min_size = 2, .max_size = 4, .connect_timeout = 2000ms});
  database->start();
  REQUIRE(io.run(database->ping(2s)));

  server.stop();
  const auto started = clock_type::now();
  const auto failure = io.run(failure_of(*database, "SELECT 1"));
  CHECK(clock_type::now() - started < 3s);
  REQUIRE(failure.has_value());
  CHECK(failure->sqlstate().empty());
  CHECK_FALSE(io.run(database->ping(500ms)));

  server.start();
  CHECK(wait_until([&] { return io.run(database->ping(1s)); }, 20s, 50ms));
  CHECK(wait_until(
      [&] {
        try {
          return io.run(select_value(*database, "SELECT 'back'")) == "back";
        } catch (const postgres::error&) {
          return false;
        }
      },
      20s, 50ms));
  // The background refill brings the pool back to its minimum without further queries.
  CHECK(wait_until([&] { return database->statistics().idle >= 2; }, 20s));
  database->stop();
}

TEST_CASE("postgres pool: transactions commit, roll back on exceptions and never leak",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url(), {.min_size = 0, .max_size = 1});
  io.run(select_rows(*database, "CREATE TABLE ledger (id integer PRIMARY KEY)"));
  const auto count = [&] { return io.run(select_value(*database, "SELECT count(*) FROM ledger")); };

  SECTION("an exception in the body rolls back and is rethrown") {
    const auto thrown = io.run([&]() -> net::awaitable<std::string> {
      std::string message;
      try {
        co_await database->transaction(
            [](postgres::connection_lease& lease) -> net::awaitable<void> {
              co_await lease.query("INSERT INTO ledger VALUES (1)");
              throw std::runtime_error("body failed");
            });
      } catch (const std::runtime_error& e) {
        message = e.what();
      }
      co_return message;
    }());
    CHECK(thrown == "body failed");
    CHECK(count() == "0");
  }

  SECTION("a body that completes is committed") {
    io.run([&]() -> net::awaitable<int> {
      co_await database->transaction([](postgres::connection_lease& lease) -> net::awaitable<void> {
        co_await lease.query("INSERT INTO ledger VALUES (1)");
        co_await lease.query("INSERT INTO ledger VALUES (2)");
      });
      co_return 0;
    }());
    CHECK(count() == "2");
  }

  SECTION("a failed statement whose error the body swallowed makes the commit fail") {
    const auto sqlstate = io.run([&]() -> net::awaitable<std::string> {
      std::string code;
      try {
        co_await database->transaction(
            [](postgres::connection_lease& lease) -> net::awaitable<void> {
              co_await lease.query("INSERT INTO ledger VALUES (1)");
              try {
                co_await lease.query("INSERT INTO ledger VALUES (1)");
              } catch (const postgres::error&) {
              }
            });
      } catch (const postgres::error& e) {
        code = e.sqlstate();
      }
      co_return code;
    }());
    CHECK(sqlstate == "25P02");
    CHECK(count() == "0");
  }

  SECTION("a lease left inside a transaction is closed, not reused") {
    const auto abandoned = io.run([&]() -> net::awaitable<std::string> {
      auto lease = co_await database->acquire();
      co_await lease.query("BEGIN");
      co_await lease.query("INSERT INTO ledger VALUES (1)");
      const auto pid = co_await lease.query("SELECT pg_backend_pid()");
      co_return std::string(pid.value(0, 0));
    }());
    const auto next = io.run(select_value(*database, "SELECT pg_backend_pid()::text"));
    CHECK(next != abandoned);
    CHECK(wait_until([&] { return !backend_exists(io, *database, abandoned); }, 5s));
    CHECK(count() == "0");
    // A cleanly returned connection, by contrast, serves the next query.
    CHECK(io.run(select_value(*database, "SELECT pg_backend_pid()::text")) == next);
  }
  database->stop();
}

TEST_CASE("postgres pool: application_transaction scopes app.application_id to the transaction",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url(), {.min_size = 0, .max_size = 1});
  const std::string application_id = "0b5e5c3a-54a4-4b1e-9d5f-3f0f1c6e2a11";

  const auto inside = io.run([&]() -> net::awaitable<std::string> {
    std::string seen;
    co_await database->application_transaction(
        application_id, [&seen](postgres::connection_lease& lease) -> net::awaitable<void> {
          const auto rows =
              co_await lease.query("SELECT current_setting('app.application_id', true)");
          seen = std::string(rows.value(0, 0));
        });
    co_return seen;
  }());
  CHECK(inside == application_id);
  // Same (only) connection afterwards: the setting did not outlive the transaction.
  const auto after =
      io.run(select_value(*database, "SELECT current_setting('app.application_id', true)"));
  CHECK(after.value_or("") == "");
  database->stop();
}

TEST_CASE("postgres pool: stop fails waiting acquires and lets the io_context finish",
          "[integration][postgres]") {
  postgres_server server;
  io_threads io(2);
  auto database = make_pool(io, server.owner_url(), {.min_size = 1, .max_size = 1});
  database->start();
  auto held = io.run([&]() -> net::awaitable<std::optional<postgres::connection_lease>> {
    co_return co_await database->acquire();
  }());
  auto waiting = net::co_spawn(
      io.context(),
      [database]() -> net::awaitable<std::string> {
        try {
          co_await database->query("SELECT 1");
        } catch (const postgres::error& e) {
          co_return e.what();
        }
        co_return "answered";
      },
      net::use_future);
  REQUIRE(wait_until([&] { return database->statistics().waiting == 1; }, 5s));
  database->stop();
  REQUIRE(waiting.wait_for(2s) == std::future_status::ready);
  CHECK(waiting.get().find("stopped") != std::string::npos);
  held.reset();
  CHECK(wait_until([&] { return database->statistics().total == 0; }, 5s));
  const auto refused = io.run(failure_of(*database, "SELECT 1"));
  REQUIRE(refused.has_value());
  database.reset();
  CHECK(io.drained(5s));
}
