#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/postgres/result.hpp"

// What the admin CLI's stores share: statements assembled from fixed parts, text arrays passed
// and read back as JSON (so no value depends on Postgres's array literal quoting), and rows
// turned into records.
namespace gpt_adapter::admin {

// The parts joined: a statement built from constant fragments, never from values.
std::string sql(std::initializer_list<std::string_view> parts);

// A JSON array of strings, for a parameter read with jsonb_array_elements_text.
std::string json_array_of(const std::vector<std::string>& values);
// The strings of array_to_json(...)::text; JSON null (an SQL NULL array) reads as none.
std::vector<std::string> strings_from_json(std::string_view text);

// Every row as read by `read(rows, row)`.
template <typename Read>
auto all_rows(const postgres::result& rows, Read read) {
  std::vector<decltype(read(rows, std::size_t{0}))> records;
  records.reserve(rows.rows());
  for (std::size_t row = 0; row < rows.rows(); ++row) {
    records.push_back(read(rows, row));
  }
  return records;
}

// The first row as read by `read(rows, 0)`, or nullopt when the statement matched none.
template <typename Read>
auto first_row(const postgres::result& rows, Read read)
    -> std::optional<decltype(read(rows, std::size_t{0}))> {
  if (rows.rows() == 0) {
    return std::nullopt;
  }
  return read(rows, 0);
}

}  // namespace gpt_adapter::admin
