#pragma once

#include <map>
#include <string>
#include <vector>

namespace gpt_adapter::testing {

struct admin_cli_result {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs the real gpt-adapter-admin with exactly `environment` for its configuration (the
// variables it reads are removed from ours first, and no .env file is found), with stdout and
// stderr kept apart so --json output can be parsed on its own.
admin_cli_result run_admin_cli(const std::vector<std::string>& args,
                               std::map<std::string, std::string> environment);

}  // namespace gpt_adapter::testing
