#include "tests/support/node_checks.hpp"

#include <sstream>

#include <boost/json/parse.hpp>

namespace gpt_adapter::testing {

std::map<std::string, bool> node_check_results(const std::string& output) {
  std::map<std::string, bool> checks;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code error;
    const auto value = boost::json::parse(line, error);
    if (!error && value.is_object() && value.as_object().contains("check")) {
      checks[std::string(value.as_object().at("check").as_string())] =
          value.as_object().at("ok").as_bool();
    }
  }
  return checks;
}

}  // namespace gpt_adapter::testing
