#include "api/oauth/sign_in_guard.hpp"

#include <vector>

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api::oauth {
namespace {

constexpr std::size_t csrf_token_bytes = 32;
constexpr std::chrono::seconds attempt_window{60};

// KEYS[1] the counter. ARGV[1] the window in seconds. Returns {attempts, seconds left}.
const redis::script count_script{R"lua(
local attempts = redis.call('INCR', KEYS[1])
if attempts == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {attempts, ttl}
)lua"};

std::string csrf_key(std::string_view token) {
  return "{gpt-adapter}:oauth-csrf:" + auth::sha256_hex(token);
}

}  // namespace

boost::asio::awaitable<std::string> issue_csrf_token(redis::client& redis,
                                                     std::string cookie_digest,
                                                     std::string request_digest,
                                                     std::chrono::seconds lifetime) {
  auto token = auth::random_token(csrf_token_bytes);
  const auto reply =
      co_await redis.command("SET", csrf_key(token), cookie_digest + ":" + request_digest, "EX",
                             std::to_string(lifetime.count()));
  reply.throw_if_error();
  co_return token;
}

boost::asio::awaitable<bool> consume_csrf_token(redis::client& redis, std::string token,
                                                std::string cookie_digest,
                                                std::string request_digest) {
  if (token.empty()) {
    co_return false;
  }
  const auto reply = co_await redis.command("GETDEL", csrf_key(token));
  reply.throw_if_error();
  co_return !reply.is_nil() && reply.as_string() == cookie_digest + ":" + request_digest;
}

boost::asio::awaitable<attempt_count> count_attempt(redis::client& redis,
                                                    std::string_view subject) {
  const auto key = "{gpt-adapter}:oauth-attempts:" + auth::sha256_hex(subject);
  std::vector<std::string> keys{key};
  std::vector<std::string> args{std::to_string(attempt_window.count())};
  const auto reply = co_await redis.eval(count_script, std::move(keys), std::move(args));
  reply.throw_if_error();
  const auto& parts = reply.as_array();
  if (parts.size() != 2) {
    throw redis::error("unexpected reply from the attempt counter script");
  }
  co_return attempt_count{parts[0].as_integer(), std::chrono::seconds(parts[1].as_integer())};
}

attempt_count local_attempt_counter::count(std::string_view subject, clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (windows_.size() >= prune_above_) {
    std::erase_if(windows_, [now](const auto& entry) { return entry.second.ends <= now; });
  }
  auto& current = windows_[std::string(subject)];
  if (current.ends <= now) {
    current = window{.ends = now + attempt_window, .attempts = 0};
  }
  ++current.attempts;
  const auto remaining = std::chrono::ceil<std::chrono::seconds>(current.ends - now);
  return attempt_count{current.attempts, remaining};
}

std::size_t local_attempt_counter::subjects() const {
  const std::lock_guard lock(mutex_);
  return windows_.size();
}

}  // namespace gpt_adapter::api::oauth
