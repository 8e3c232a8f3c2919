#include "api/memory/idempotency.hpp"

#include <boost/json/serialize.hpp>

#include "common/auth/secret_hash.hpp"
#include "common/logging/logger.hpp"

namespace gpt_adapter::api::memory {
namespace {

constexpr std::string_view key_prefix = "{gpt-adapter}:idempotency:";
// Where a caller without an end user (an API key, a client-credentials token) keeps its keys:
// end user ids are UUIDs, so this never equals one.
constexpr std::string_view application_scope = "-";

// KEYS: the idempotency key. ARGV: the value to set, TTL ms. Returns {1, value} when set, else
// {0, the value already there}.
const redis::script claim_script{R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, ARGV[1]} end
return {0, redis.call('GET', KEYS[1])}
)lua"};

// KEYS: the idempotency key. ARGV: the value this request set.
const redis::script release_script{R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua"};

}  // namespace

std::string idempotency_redis_key(std::string_view application_id,
                                  const std::optional<std::string>& end_user_id,
                                  std::string_view key) {
  std::string redis_key(key_prefix);
  redis_key.append(application_id);
  redis_key.push_back(':');
  redis_key.append(end_user_id ? std::string_view(*end_user_id) : application_scope);
  redis_key.push_back(':');
  redis_key.append(auth::sha256_hex(key));
  return redis_key;
}

std::string body_fingerprint(const boost::json::object& payload) {
  return auth::sha256_hex(boost::json::serialize(payload));
}

std::string encode_remembered(const remembered_request& value) {
  return value.request_id + " " + value.fingerprint;
}

std::optional<remembered_request> decode_remembered(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == text.size()) {
    return std::nullopt;
  }
  return remembered_request{std::string(text.substr(0, space)),
                            std::string(text.substr(space + 1))};
}

boost::asio::awaitable<idempotency_claim> claim_idempotency_key(redis::client& redis,
                                                                const std::string& redis_key,
                                                                const remembered_request& mine,
                                                                std::chrono::milliseconds ttl) {
  std::vector<std::string> keys{redis_key};
  std::vector<std::string> args{encode_remembered(mine), std::to_string(ttl.count())};
  const auto answer = co_await redis.eval(claim_script, std::move(keys), std::move(args));
  const auto& items = answer.as_array();
  if (items.size() != 2) {
    throw redis::error("unexpected answer to the idempotency claim");
  }
  if (items[0].as_integer() == 1) {
    co_return idempotency_claim{idempotency_claim::kind::claimed, mine.request_id};
  }
  const auto held = decode_remembered(items[1].as_string());
  if (!held) {
    throw redis::error("unreadable idempotency record");
  }
  if (held->fingerprint != mine.fingerprint) {
    co_return idempotency_claim{idempotency_claim::kind::conflict, held->request_id};
  }
  co_return idempotency_claim{idempotency_claim::kind::replayed, held->request_id};
}

boost::asio::awaitable<void> release_idempotency_key(redis::client& redis,
                                                     const std::string& redis_key,
                                                     const remembered_request& mine) {
  try {
    std::vector<std::string> keys{redis_key};
    std::vector<std::string> args{encode_remembered(mine)};
    co_await redis.eval(release_script, std::move(keys), std::move(args));
  } catch (const std::exception& failure) {
    logging::warn("releasing an idempotency key failed", {{"error", failure.what()}});
  }
}

}  // namespace gpt_adapter::api::memory
