#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "common/redis/client.hpp"

// Idempotent creation: a key the caller sends (Idempotency-Key header or the body's
// idempotency_key, since a GPT cannot send headers) maps to the request id of the first request
// that used it, with a fingerprint of that request's body. Keys are scoped per application and
// end user, so two callers never share one.
namespace gpt_adapter::api::memory {

// The Redis key remembering `key` for this caller. The caller's key is hashed: it can be any
// printable ASCII, and its length does not matter then.
std::string idempotency_redis_key(std::string_view application_id,
                                  const std::optional<std::string>& end_user_id,
                                  std::string_view key);

// SHA-256 (hex) of the job payload: what "the same body" means.
std::string body_fingerprint(const boost::json::object& payload);

// What the key's value holds: the first request's id and its body fingerprint.
struct remembered_request {
  std::string request_id;
  std::string fingerprint;

  bool operator==(const remembered_request&) const = default;
};

std::string encode_remembered(const remembered_request& value);
std::optional<remembered_request> decode_remembered(std::string_view text);

struct idempotency_claim {
  enum class kind {
    claimed,   // the key was free: this request owns it now and must enqueue its job
    replayed,  // the same key with the same body: answer with `request_id` again
    conflict,  // the same key with a different body
  };
  kind outcome = kind::claimed;
  std::string request_id;  // the first request's id when replayed
};

// One atomic step (SET NX PX, else GET): claims the key for `mine` or reports who holds it.
// Throws redis::error.
boost::asio::awaitable<idempotency_claim> claim_idempotency_key(redis::client& redis,
                                                                const std::string& redis_key,
                                                                const remembered_request& mine,
                                                                std::chrono::milliseconds ttl);

// Gives a claimed key up again (its job could not be enqueued), unless it was claimed since by
// someone else. Never throws: a key that stays claimed only makes a retry answer with a request
// id that has no job, which then reads as not found.
boost::asio::awaitable<void> release_idempotency_key(redis::client& redis,
                                                     const std::string& redis_key,
                                                     const remembered_request& mine);

}  // namespace gpt_adapter::api::memory
