#include "api/oauth/access_token_denylist.hpp"

#include "common/auth/redis_names.hpp"

namespace gpt_adapter::api::oauth {

boost::asio::awaitable<void> deny_access_token(redis::client& redis, std::string jti,
                                               std::chrono::seconds remaining) {
  if (remaining.count() <= 0 || jti.empty()) {
    co_return;
  }
  const auto reply = co_await redis.command("SET", auth::denied_access_token_key(jti), "1", "EX",
                                            std::to_string(remaining.count()));
  reply.throw_if_error();
}

boost::asio::awaitable<bool> is_access_token_revoked(redis::client& redis, std::string jti) {
  const auto reply = co_await redis.command("EXISTS", auth::denied_access_token_key(jti));
  co_return reply.as_integer() > 0;
}

}  // namespace gpt_adapter::api::oauth
