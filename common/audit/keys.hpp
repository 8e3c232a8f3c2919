#pragma once

#include <string_view>

namespace gpt_adapter::audit::keys {

// Audit events travel through this stream to the worker, which writes them to PostgreSQL in
// batches. The {gpt-adapter} hash tag keeps it on the same Redis Cluster slot as the job keys.
inline constexpr std::string_view stream = "{gpt-adapter}:audit";
inline constexpr std::string_view consumer_group = "audit-writers";
// Events the audit sink can never write, with the reason, kept for inspection.
inline constexpr std::string_view dead_stream = "{gpt-adapter}:audit:dead";

}  // namespace gpt_adapter::audit::keys
