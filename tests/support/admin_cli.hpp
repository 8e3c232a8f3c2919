#pragma once

#include <map>
#include <optional>
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
// stderr kept apart so --json output can be parsed on its own. `stdin_text`, when given, is its
// standard input (one line); otherwise standard input is empty.
admin_cli_result run_admin_cli(const std::vector<std::string>& args,
                               std::map<std::string, std::string> environment,
                               std::optional<std::string> stdin_text = std::nullopt);

}  // namespace gpt_adapter::testing
