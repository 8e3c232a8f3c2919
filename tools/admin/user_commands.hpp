#pragma once

#include "tools/admin/admin_session.hpp"

namespace gpt_adapter::admin {

// The `user` commands: create, list, disable, enable, reset-password. Passwords never appear on
// the command line (where `ps` and shell history would show them): they are generated and
// printed once, or read from standard input with --password-stdin.
admin_command_group user_commands();

}  // namespace gpt_adapter::admin
