#pragma once

#include "tools/admin/admin_session.hpp"

namespace gpt_adapter::admin {

// The `queue` commands: stats.
admin_command_group queue_commands();
// The `dlq` commands: list, show, replay, purge.
admin_command_group dead_letter_commands();

}  // namespace gpt_adapter::admin
