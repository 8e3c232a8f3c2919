#include "api/oauth/access_token_denylist.hpp"

namespace gpt_adapter::api::oauth {

std::string denied_access_token_key(std::string_view jti) {
  return "{gpt-adapter}:revoked-jti:" + std::string(jti);
}

boost::asio::awaitable<void> deny_access_token(redis::client& redis, std::string jti,
                                               std::chrono::seconds remaining) {
  if (remaining.count() <= 0 || jti.empty()) {
    co_return;
  }
  const auto reply = co_await redis.command("SET", denied_access_token_key(jti), "1", "EX",
                                            std::to_string(remaining.count()));
  reply.throw_if_error();
}

boost::asio::awaitable<bool> is_access_token_revoked(redis::client& redis, std::string jti) {
  const auto reply = co_await redis.command("EXISTS", denied_access_token_key(jti));
  co_return reply.as_integer() > 0;
}

}  // namespace gpt_adapter::api::oauth
