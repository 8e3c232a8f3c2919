#include "common/postgres/migration_runner.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "common/logging/logger.hpp"
#include "common/postgres/sql_script.hpp"

namespace gpt_adapter::postgres {

namespace {

namespace asio = boost::asio;

// Key of the advisory lock that serialises migration runs in a database ("gpt_migr").
constexpr long long migration_lock_key = 0x6770745f6d696772;

std::string label(const migration& step) {
  std::string version = std::to_string(step.version);
  if (version.size() < 4) {
    version.insert(0, 4 - version.size(), '0');
  }
  return version + "_" + step.name;
}

void check_order(const std::vector<migration>& migrations) {
  for (std::size_t index = 1; index < migrations.size(); ++index) {
    if (migrations[index].version <= migrations[index - 1].version) {
      throw std::invalid_argument("migrations must have strictly increasing versions");
    }
  }
}

const migration* find_migration(const std::vector<migration>& migrations, int version) {
  const auto found =
      std::find_if(migrations.begin(), migrations.end(),
                   [version](const migration& step) { return step.version == version; });
  return found == migrations.end() ? nullptr : &*found;
}

// Takes the run's lock (waiting as long as another run holds it) and makes sure the
// bookkeeping table exists; creating it under the lock avoids racing another runner.
asio::awaitable<void> lock_migrations(connection_lease& lease) {
  co_await lease.query("SELECT pg_advisory_lock($1)",
                       param_list(std::to_string(migration_lock_key)), std::nullopt);
  co_await lease.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())",
      {}, std::nullopt);
}

asio::awaitable<void> unlock_migrations(connection_lease& lease) {
  co_await lease.query("SELECT pg_advisory_unlock($1)",
                       param_list(std::to_string(migration_lock_key)), std::nullopt);
}

asio::awaitable<std::map<int, std::string>> recorded_migrations(connection_lease& lease) {
  const auto rows = co_await lease.query(
      "SELECT version, name FROM schema_migrations ORDER BY version", {}, std::nullopt);
  std::map<int, std::string> recorded;
  for (std::size_t row = 0; row < rows.rows(); ++row) {
    recorded.emplace(std::stoi(std::string(rows.value(row, 0))), std::string(rows.value(row, 1)));
  }
  co_return recorded;
}

// One migration script and its bookkeeping statement in one transaction. On failure the
// caller discards the connection, which rolls the transaction back.
asio::awaitable<void> run_step(connection_lease& lease, const migration& step,
                               const std::string& script, const std::string& bookkeeping,
                               std::vector<param> bookkeeping_params) {
  try {
    co_await lease.query("BEGIN", {}, std::nullopt);
    for (const auto& statement : split_sql_statements(script)) {
      co_await lease.query(statement, {}, std::nullopt);
    }
    co_await lease.query(bookkeeping, std::move(bookkeeping_params), std::nullopt);
    const auto committed = co_await lease.query("COMMIT", {}, std::nullopt);
    if (committed.command_tag() != "COMMIT") {
      throw error("the transaction was rolled back", "25P02");
    }
  } catch (const error& failure) {
    throw error("migration " + label(step) + " failed: " + failure.what(), failure.sqlstate(),
                failure.constraint());
  }
}

}  // namespace

asio::awaitable<std::vector<applied>> migrate_up(pool& database, std::optional<int> target,
                                                 const std::vector<migration>& migrations) {
  check_order(migrations);
  auto lease = co_await database.acquire();
  std::vector<applied> done;
  try {
    co_await lock_migrations(lease);
    const auto recorded = co_await recorded_migrations(lease);
    const int newest_recorded = recorded.empty() ? 0 : recorded.rbegin()->first;
    for (const auto& step : migrations) {
      if (target && step.version > *target) {
        break;
      }
      if (recorded.contains(step.version)) {
        continue;
      }
      if (step.version < newest_recorded) {
        throw error("migration " + label(step) + " is older than the applied migration " +
                    std::to_string(newest_recorded) + "; renumber it after the applied ones");
      }
      co_await run_step(lease, step, step.up_sql,
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        param_list(std::to_string(step.version), step.name));
      logging::info("migration applied", {{"version", step.version}, {"name", step.name}});
      done.push_back({step.version, step.name});
    }
    co_await unlock_migrations(lease);
  } catch (...) {
    // Closing the session releases the lock and rolls back whatever was left open.
    lease.discard();
    throw;
  }
  co_return done;
}

asio::awaitable<std::vector<applied>> migrate_down(pool& database, int steps,
                                                   const std::vector<migration>& migrations) {
  check_order(migrations);
  if (steps < 0) {
    throw std::invalid_argument("migrate_down needs a number of steps >= 0");
  }
  auto lease = co_await database.acquire();
  std::vector<applied> done;
  try {
    co_await lock_migrations(lease);
    const auto recorded = co_await recorded_migrations(lease);
    for (auto position = recorded.rbegin();
         position != recorded.rend() && static_cast<int>(done.size()) < steps; ++position) {
      const migration* step = find_migration(migrations, position->first);
      if (step == nullptr) {
        throw error("applied migration " + std::to_string(position->first) + "_" +
                    position->second +
                    " is unknown to this build; revert it with the build that "
                    "applied it");
      }
      co_await run_step(lease, *step, step->down_sql,
                        "DELETE FROM schema_migrations WHERE version = $1",
                        param_list(std::to_string(step->version)));
      logging::info("migration reverted", {{"version", step->version}, {"name", step->name}});
      done.push_back({step->version, step->name});
    }
    co_await unlock_migrations(lease);
  } catch (...) {
    lease.discard();
    throw;
  }
  co_return done;
}

asio::awaitable<std::vector<migration_status>> status(pool& database,
                                                      const std::vector<migration>& migrations) {
  std::map<int, migration_status> states;
  for (const auto& step : migrations) {
    states[step.version] = {step.version, step.name, std::nullopt};
  }
  const auto table = co_await database.query("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (table.value(0, 0) == "t") {
    const auto rows = co_await database.query(
        "SELECT version, name,"
        " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        " FROM schema_migrations");
    for (std::size_t row = 0; row < rows.rows(); ++row) {
      const int version = std::stoi(std::string(rows.value(row, 0)));
      auto& state = states[version];
      if (state.name.empty()) {
        state = {version, std::string(rows.value(row, 1)), std::nullopt};
      }
      state.applied_at = rows.get(row, 2);
    }
  }
  std::vector<migration_status> ordered;
  for (auto& [version, state] : states) {
    ordered.push_back(std::move(state));
  }
  co_return ordered;
}

}  // namespace gpt_adapter::postgres
