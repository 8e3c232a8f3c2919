#pragma once

#include <vector>

#include "common/redis/stream_reply.hpp"
#include "worker/stream_sink.hpp"

namespace gpt_adapter::worker {

// Audit events from {gpt-adapter}:audit into custom_gpt_audit_logs: one INSERT ... ON CONFLICT
// (id) DO NOTHING per application in the batch, so an event delivered twice is stored once.
// Undecodable entries are rejected with the decoder's reason.
prepared_batch prepare_audit_batch(const std::vector<redis::stream_entry>& entries);

// Poison audit entries go to {gpt-adapter}:audit:dead.
sink_destination audit_log_destination();

}  // namespace gpt_adapter::worker
