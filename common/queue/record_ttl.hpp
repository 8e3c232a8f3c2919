#pragma once

#include <chrono>
#include <cstdint>

#include "common/config/env_reader.hpp"

namespace gpt_adapter::queue {

// How long a job record stays readable after its last write (JOB_RECORD_TTL_SECONDS): the API
// writes it on enqueue, the worker on every transition, the admin CLI on a dead-letter replay.
// All three read the one variable here, so a record never outlives or undercuts the others.
inline constexpr std::int64_t default_record_ttl_seconds = 24 * 3600;

// Throws config::config_error naming the variable.
std::chrono::seconds read_record_ttl(const config::env_reader& env);

}  // namespace gpt_adapter::queue
