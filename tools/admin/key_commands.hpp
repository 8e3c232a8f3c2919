#pragma once

#include "tools/admin/admin_session.hpp"

namespace gpt_adapter::admin {

// The `key` commands: create, list, revoke — API keys for the GPT editor's "API key / Bearer"
// authentication mode.
admin_command_group key_commands();

}  // namespace gpt_adapter::admin
