#pragma once

#include <chrono>

#include "tools/admin/admin_session.hpp"

namespace gpt_adapter::admin {

// How long a replayed job's record lives when nothing else touches it: the worker's default
// JOB_RECORD_TTL. The worker refreshes it on every transition, so this only bounds a record
// whose job is never picked up.
inline constexpr std::chrono::seconds replayed_record_ttl = std::chrono::hours(24);

// The `queue` commands: stats.
admin_command_group queue_commands();
// The `dlq` commands: list, show, replay, purge.
admin_command_group dead_letter_commands();

}  // namespace gpt_adapter::admin
