#include "tools/admin/store_sql.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace gpt_adapter::admin {

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const auto part : parts) {
    text += part;
  }
  return text;
}

std::string json_array_of(const std::vector<std::string>& values) {
  boost::json::array array;
  for (const auto& value : values) {
    array.emplace_back(value);
  }
  return boost::json::serialize(array);
}

std::vector<std::string> strings_from_json(std::string_view text) {
  std::vector<std::string> values;
  const auto parsed = boost::json::parse(text);
  if (parsed.is_null()) {
    return values;
  }
  for (const auto& item : parsed.as_array()) {
    values.emplace_back(item.as_string());
  }
  return values;
}

}  // namespace gpt_adapter::admin
