#include "tests/support/libpq_queries.hpp"

#include <memory>

#include <catch2/catch.hpp>
#include <libpq-fe.h>

namespace gpt_adapter::testing {

std::vector<std::vector<std::optional<std::string>>> query_rows(
    const std::string& url, const std::string& sql, const std::vector<std::string>& params) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(url.c_str()), PQfinish);
  REQUIRE(PQstatus(connection.get()) == CONNECTION_OK);
  std::vector<const char*> values;
  for (const auto& param : params) {
    values.push_back(param.c_str());
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexecParams(connection.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                   values.data(), nullptr, nullptr, 0),
      PQclear);
  INFO(sql << "\n" << PQresultErrorMessage(result.get()));
  REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    auto& cells = rows.emplace_back();
    for (int column = 0; column < PQnfields(result.get()); ++column) {
      cells.push_back(PQgetisnull(result.get(), row, column)
                          ? std::nullopt
                          : std::optional<std::string>(PQgetvalue(result.get(), row, column)));
    }
  }
  return rows;
}

}  // namespace gpt_adapter::testing
