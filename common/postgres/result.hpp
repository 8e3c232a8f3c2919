#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pg_result;

namespace gpt_adapter::postgres {

// A query parameter, always sent as text; std::nullopt is SQL NULL.
using param = std::optional<std::string>;

// Builds a parameter vector: param_list(id, "text", std::nullopt). Inside coroutines use this
// (or a named vector) rather than a braced list: GCC 12 rejects an initializer_list temporary
// within a co_await expression ("array used as initializer").
template <typename... Values>
std::vector<param> param_list(Values&&... values) {
  std::vector<param> list;
  list.reserve(sizeof...(values));
  (list.emplace_back(std::forward<Values>(values)), ...);
  return list;
}

// The rows of one successful statement. Values are the server's text representation.
class result {
 public:
  explicit result(pg_result* handle);

  std::size_t rows() const;
  std::size_t columns() const;
  bool is_null(std::size_t row, std::size_t col) const;
  // The text of a value; empty for NULL (use is_null or get to tell them apart).
  std::string_view value(std::size_t row, std::size_t col) const;
  std::optional<std::string> get(std::size_t row, std::size_t col) const;
  // Index of a column by name; throws std::out_of_range if there is none.
  std::size_t column(std::string_view name) const;
  // Rows inserted, updated, deleted, selected... by the statement; 0 when it reports none.
  std::size_t affected_rows() const;
  // The command tag, such as "INSERT 0 1", "COMMIT" or "ROLLBACK".
  std::string_view command_tag() const;

 private:
  void check_cell(std::size_t row, std::size_t col) const;

  struct deleter {
    void operator()(pg_result* handle) const;
  };
  std::unique_ptr<pg_result, deleter> handle_;
};

}  // namespace gpt_adapter::postgres
