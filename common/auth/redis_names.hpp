#pragma once

#include <string>
#include <string_view>

// Redis names that the API replicas and the admin CLI must agree on. The hash tag keeps every
// key and channel of the project in one Redis Cluster slot.
namespace gpt_adapter::auth {

// Pub/sub channel on which a change to a Custom GPT application is announced, with the
// application's id as the message, so every API replica drops what it cached about it (status,
// scopes, rate limit, API keys, token version).
inline constexpr std::string_view application_invalidation_channel =
    "{gpt-adapter}:app-invalidations";

// The same for an end user (disabled, enabled, password reset), with the end user's id as the
// message: replicas drop the end user's cached status.
inline constexpr std::string_view end_user_invalidation_channel =
    "{gpt-adapter}:end-user-invalidations";

// The deny-list entry of a revoked access token, by its jti: present until the token would have
// expired anyway.
inline std::string denied_access_token_key(std::string_view jti) {
  return "{gpt-adapter}:revoked-jti:" + std::string(jti);
}

}  // namespace gpt_adapter::auth
