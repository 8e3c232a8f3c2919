#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/redis/client.hpp"

// Revoked access tokens (RFC 7009), by jti, until they would have expired anyway: access tokens
// are self-contained JWTs, so a revocation only takes effect where verifiers consult this list.
// It lives in Redis, shared by every replica, under auth::denied_access_token_key.
namespace gpt_adapter::api::oauth {

// Denies the token with this jti for `remaining` (its time left to live; nothing is stored when
// that is not positive). Throws redis::error when Redis cannot be reached.
boost::asio::awaitable<void> deny_access_token(redis::client& redis, std::string jti,
                                               std::chrono::seconds remaining);

// Whether the access token with this jti was revoked (introspection asks; bearer authentication
// looks the same key up inside the rate-limit script). Throws redis::error when Redis cannot be
// reached (the caller decides whether that fails closed).
boost::asio::awaitable<bool> is_access_token_revoked(redis::client& redis, std::string jti);

}  // namespace gpt_adapter::api::oauth
