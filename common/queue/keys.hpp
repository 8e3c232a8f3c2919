#pragma once

#include <string>
#include <string_view>

namespace gpt_adapter::queue::keys {

// Every key shares the {gpt-adapter} hash tag, so the Lua scripts and MULTI blocks that touch
// several of them stay on one Redis Cluster slot.
inline constexpr std::string_view jobs_stream = "{gpt-adapter}:jobs";
inline constexpr std::string_view consumer_group = "workers";
inline constexpr std::string_view delayed_set = "{gpt-adapter}:jobs:delayed";
inline constexpr std::string_view dead_letter_stream = "{gpt-adapter}:jobs:dead";
inline constexpr std::string_view job_record_prefix = "{gpt-adapter}:job:";
inline constexpr std::string_view job_done_channel = "{gpt-adapter}:job-done";
// Final job outcomes, one entry each, which the worker's history sink writes to custom_gpt_jobs.
inline constexpr std::string_view history_stream = "{gpt-adapter}:jobs:history";
inline constexpr std::string_view history_group = "history-writers";
// Outcomes the history sink can never write, with the reason, kept for inspection.
inline constexpr std::string_view history_dead_stream = "{gpt-adapter}:jobs:history:dead";

inline std::string job_record(std::string_view request_id) {
  std::string key(job_record_prefix);
  key.append(request_id);
  return key;
}

}  // namespace gpt_adapter::queue::keys
