#pragma once

#include <string_view>

namespace gpt_adapter::audit::keys {

// Audit events travel through this stream to the worker, which writes them to PostgreSQL in
// batches. The {gpt-adapter} hash tag keeps it on the same Redis Cluster slot as the job keys.
inline constexpr std::string_view stream = "{gpt-adapter}:audit";
inline constexpr std::string_view consumer_group = "audit-writers";

}  // namespace gpt_adapter::audit::keys
