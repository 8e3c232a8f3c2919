#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

// The admin CLI's --json output: one JSON document per command on standard output.
namespace gpt_adapter::admin {

void print_json(std::ostream& out, const boost::json::value& value);

// The records as a JSON array, each by its to_json.
template <typename Record>
void print_json_array(std::ostream& out, const std::vector<Record>& records) {
  boost::json::array array;
  for (const auto& record : records) {
    array.emplace_back(to_json(record));
  }
  print_json(out, array);
}

// A text value, or JSON null when absent (a timestamp that has not happened yet, say).
boost::json::value text_or_null(const std::optional<std::string>& value);

}  // namespace gpt_adapter::admin
