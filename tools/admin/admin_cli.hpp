#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "tools/admin/command_line.hpp"

namespace gpt_adapter::admin {

inline constexpr int exit_success = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Every command of gpt-adapter-admin, for parsing and help.
program_spec admin_program();

// Runs gpt-adapter-admin with `args` (argv without the program name) and returns the exit
// status: 0 done, 1 the command failed, 2 the command line is wrong. Command output goes to
// `out`; errors and warnings go to `err`, one line each. A configuration error escapes as
// config::config_error, which the caller turns into exit status 78.
int run_admin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpt_adapter::admin
