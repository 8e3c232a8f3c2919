#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/postgres/pool.hpp"

// Small query helpers for tests: they turn results into plain values (and failures into
// values) inside the coroutine, so assertions run on the test thread, where Catch2 expects them.
namespace gpt_adapter::testing {

using table = std::vector<std::vector<std::optional<std::string>>>;

// Every cell of a result as text; nullopt for NULL.
table cells(const postgres::result& rows);

boost::asio::awaitable<table> select_rows(postgres::pool& database, std::string sql,
                                          std::vector<postgres::param> params = {});

// The first cell of the first row; nullopt for NULL or no row.
boost::asio::awaitable<std::optional<std::string>> select_value(
    postgres::pool& database, std::string sql, std::vector<postgres::param> params = {});

// The error a statement fails with, or nullopt if it succeeds.
boost::asio::awaitable<std::optional<postgres::error>> failure_of(
    postgres::pool& database, std::string sql, std::vector<postgres::param> params = {});

}  // namespace gpt_adapter::testing
