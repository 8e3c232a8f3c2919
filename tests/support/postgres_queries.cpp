#include "tests/support/postgres_queries.hpp"

namespace gpt_adapter::testing {

namespace asio = boost::asio;

table cells(const postgres::result& rows) {
  table values;
  for (std::size_t row = 0; row < rows.rows(); ++row) {
    auto& line = values.emplace_back();
    for (std::size_t col = 0; col < rows.columns(); ++col) {
      line.push_back(rows.get(row, col));
    }
  }
  return values;
}

asio::awaitable<table> select_rows(postgres::pool& database, std::string sql,
                                   std::vector<postgres::param> params) {
  co_return cells(co_await database.query(sql, std::move(params)));
}

asio::awaitable<std::optional<std::string>> select_value(postgres::pool& database, std::string sql,
                                                         std::vector<postgres::param> params) {
  const auto rows = co_await database.query(sql, std::move(params));
  if (rows.rows() == 0 || rows.columns() == 0) {
    co_return std::nullopt;
  }
  co_return rows.get(0, 0);
}

asio::awaitable<std::optional<postgres::error>> failure_of(postgres::pool& database,
                                                           std::string sql,
                                                           std::vector<postgres::param> params) {
  std::optional<postgres::error> failure;
  try {
    co_await database.query(sql, std::move(params));
  } catch (const postgres::error& e) {
    failure = e;
  }
  co_return failure;
}

}  // namespace gpt_adapter::testing
