#pragma once

#include <string_view>

namespace gpt_adapter::auth {

// Redis pub/sub channel on which a change to a Custom GPT application is announced, with the
// application's id as the message, so every API replica drops what it cached about it (status,
// scopes, rate limit, secret hash, token version). The hash tag keeps the project's keys in one
// Redis Cluster slot.
inline constexpr std::string_view application_invalidation_channel =
    "{gpt-adapter}:app-invalidations";

}  // namespace gpt_adapter::auth
