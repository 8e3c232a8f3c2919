#pragma once

#include <chrono>

#include <boost/asio/awaitable.hpp>

#include "common/memory_bank/client.hpp"
#include "common/metrics/registry.hpp"
#include "common/queue/job.hpp"

namespace gpt_adapter::worker {

// WORKER_SOFT_TIME_LIMIT_MS (a warning and past_soft_limit, by operation) and
// WORKER_HARD_TIME_LIMIT_MS (the attempt is abandoned as a transient failure).
struct attempt_limits {
  std::chrono::milliseconds soft;
  std::chrono::milliseconds hard;
  metrics::family<metrics::counter>& past_soft_limit;
};

// One attempt of a job against the Memory Bank, within the limits. An invalid payload is a
// rejected call. `redelivered`: an earlier delivery may have run it, so the bank looks first.
boost::asio::awaitable<memory_bank::call_result> run_attempt(memory_bank::client& bank,
                                                             const queue::job& value,
                                                             bool redelivered,
                                                             const attempt_limits& limits);

}  // namespace gpt_adapter::worker
