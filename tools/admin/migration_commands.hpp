#pragma once

#include "tools/admin/admin_session.hpp"

namespace gpt_adapter::admin {

// The `migrate` commands: up, down, status.
admin_command_group migration_commands();

}  // namespace gpt_adapter::admin
