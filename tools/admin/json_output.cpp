#include "tools/admin/json_output.hpp"

#include <boost/json/serialize.hpp>

namespace gpt_adapter::admin {

void print_json(std::ostream& out, const boost::json::value& value) {
  out << boost::json::serialize(value) << '\n';
}

boost::json::value text_or_null(const std::optional<std::string>& value) {
  if (value) {
    return boost::json::value(*value);
  }
  return nullptr;
}

}  // namespace gpt_adapter::admin
