#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/postgres/migrations.hpp"
#include "common/postgres/pool.hpp"

// Applies and reverts the numbered schema migrations. Each migration runs in a transaction of
// its own together with its row in schema_migrations(version, name, applied_at), so it is
// either fully applied and recorded or not at all. A whole run holds a session-level advisory
// lock: a second runner waits for the first, then finds nothing left to do.
namespace gpt_adapter::postgres {

// A migration applied (or reverted) by this run.
struct applied {
  int version;
  std::string name;
};

struct migration_status {
  int version;
  std::string name;
  std::optional<std::string> applied_at;  // UTC, ISO 8601; nullopt while not applied
};

// Applies, in order, every migration not yet applied, up to and including `target` when given.
// Refuses (postgres::error) to apply a migration older than one already applied.
boost::asio::awaitable<std::vector<applied>> migrate_up(
    pool& database, std::optional<int> target,
    const std::vector<migration>& migrations = embedded_migrations());

// Reverts the `steps` most recently applied migrations, newest first.
boost::asio::awaitable<std::vector<applied>> migrate_down(
    pool& database, int steps, const std::vector<migration>& migrations = embedded_migrations());

// Every known migration with when it was applied, plus any recorded in the database that this
// build does not know (a newer build applied them); ordered by version.
boost::asio::awaitable<std::vector<migration_status>> status(
    pool& database, const std::vector<migration>& migrations = embedded_migrations());

}  // namespace gpt_adapter::postgres
