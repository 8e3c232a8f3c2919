#include "tests/support/redis_acl.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gpt_adapter::testing {

std::string write_documented_acl(const temp_dir& dir, const std::string& password,
                                 const std::string& default_user) {
  const std::string source = std::string(GPT_ADAPTER_SOURCE_DIR) + "/deploy/redis/users.acl";
  std::ifstream in(source);
  if (!in) {
    throw std::runtime_error("cannot read " + source);
  }
  std::ostringstream text;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.starts_with("user default ") && !default_user.empty()) {
      line = default_user;
    }
    if (const auto at = line.find(">CHANGE-ME"); at != std::string::npos) {
      line.replace(at, 10, ">" + password);
    }
    text << line << '\n';
  }
  const auto path = (dir.path() / "users.acl").string();
  std::ofstream(path) << text.str();
  return path;
}

}  // namespace gpt_adapter::testing
