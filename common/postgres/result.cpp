#include "common/postgres/result.hpp"

#include <charconv>
#include <stdexcept>

#include <libpq-fe.h>

namespace gpt_adapter::postgres {

void result::deleter::operator()(PGresult* handle) const {
  PQclear(handle);
}

result::result(PGresult* handle) : handle_(handle) {
  if (handle_ == nullptr) {
    throw std::invalid_argument("postgres::result needs a PGresult");
  }
}

std::size_t result::rows() const {
  return static_cast<std::size_t>(PQntuples(handle_.get()));
}

std::size_t result::columns() const {
  return static_cast<std::size_t>(PQnfields(handle_.get()));
}

void result::check_cell(std::size_t row, std::size_t col) const {
  if (row >= rows() || col >= columns()) {
    throw std::out_of_range("postgres::result has no cell (" + std::to_string(row) + ", " +
                            std::to_string(col) + ")");
  }
}

bool result::is_null(std::size_t row, std::size_t col) const {
  check_cell(row, col);
  return PQgetisnull(handle_.get(), static_cast<int>(row), static_cast<int>(col)) == 1;
}

std::string_view result::value(std::size_t row, std::size_t col) const {
  check_cell(row, col);
  const int r = static_cast<int>(row);
  const int c = static_cast<int>(col);
  return {PQgetvalue(handle_.get(), r, c),
          static_cast<std::size_t>(PQgetlength(handle_.get(), r, c))};
}

std::optional<std::string> result::get(std::size_t row, std::size_t col) const {
  if (is_null(row, col)) {
    return std::nullopt;
  }
  return std::string(value(row, col));
}

std::size_t result::column(std::string_view name) const {
  for (std::size_t index = 0; index < columns(); ++index) {
    if (name == PQfname(handle_.get(), static_cast<int>(index))) {
      return index;
    }
  }
  throw std::out_of_range("postgres::result has no column " + std::string(name));
}

std::size_t result::affected_rows() const {
  const std::string_view text = PQcmdTuples(handle_.get());
  std::size_t count = 0;
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

std::string_view result::command_tag() const {
  return PQcmdStatus(handle_.get());
}

}  // namespace gpt_adapter::postgres
