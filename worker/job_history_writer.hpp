#pragma once

#include <vector>

#include "common/redis/stream_reply.hpp"
#include "worker/stream_sink.hpp"

namespace gpt_adapter::worker {

// Final job outcomes from {gpt-adapter}:jobs:history into custom_gpt_jobs: one upsert by
// request_id per application in the batch. A row is only replaced by an outcome that completed
// at the same time or later, so a delivery repeated after a newer outcome (a dead job replayed
// and then succeeded) cannot bring the older one back.
prepared_batch prepare_job_history_batch(const std::vector<redis::stream_entry>& entries);

// Poison outcome entries go to {gpt-adapter}:jobs:history:dead.
sink_destination job_history_destination();

}  // namespace gpt_adapter::worker
