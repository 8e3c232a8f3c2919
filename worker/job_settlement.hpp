#pragma once

#include <chrono>
#include <string_view>

#include "common/memory_bank/client.hpp"
#include "common/queue/job.hpp"
#include "common/queue/job_queue.hpp"
#include "worker/job_decision.hpp"

namespace gpt_adapter::worker {

// What one attempt leaves behind, from the Memory Bank's answer and the decision on it: the
// record; when final, the history outcome and the completion notice; the dead letter; or the
// job to run again after the decision's delay. Pure.
queue::settlement settlement_of(const queue::job& value, const memory_bank::call_result& result,
                                const job_decision& decision, std::string_view entry_id,
                                queue::time_point finished, std::chrono::milliseconds duration);

}  // namespace gpt_adapter::worker
