#include <string_view>

#include "worker/stream_sink.hpp"

// The pure SQL helpers of the sinks (declared in stream_sink.hpp).
namespace gpt_adapter::worker {

std::string values_placeholders(std::size_t rows,
                                const std::vector<std::string_view>& column_types) {
  std::string text;
  std::size_t number = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    text += row == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < column_types.size(); ++column) {
      text += (column == 0 ? "$" : ", $") + std::to_string(++number);
      if (!column_types[column].empty()) {
        text.append("::").append(column_types[column]);
      }
    }
    text += ')';
  }
  return text;
}

bool is_rejection_of_data(const postgres::error& failure) {
  const auto& sqlstate = failure.sqlstate();
  // 22: data exception (bad uuid, json, timestamp...), 23: integrity constraint violation,
  // 54: program limit exceeded (a row too large). 42501 (insufficient privilege) only when a
  // row-level security policy refused the row: a missing GRANT is the deployment's to fix, and
  // retrying outlasts it, where rejecting would throw every entry away.
  if (sqlstate == "42501") {
    return std::string_view(failure.what()).find("row-level security") != std::string_view::npos;
  }
  return sqlstate.starts_with("22") || sqlstate.starts_with("23") || sqlstate.starts_with("54");
}

}  // namespace gpt_adapter::worker
