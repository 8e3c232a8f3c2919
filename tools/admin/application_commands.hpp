#pragma once

#include <string_view>

#include "tools/admin/admin_session.hpp"

namespace gpt_adapter::admin {

// Prefix of generated client ids, so they are recognisable in logs and support requests.
inline constexpr std::string_view client_id_prefix = "gpta_";

// The `app` commands: create, list, show, update, delete, reset-secret, stats.
admin_command_group application_commands();

}  // namespace gpt_adapter::admin
