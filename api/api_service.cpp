#include "api/api_service.hpp"

#include <chrono>

#include "api/api_settings.hpp"
#include "api/oauth/access_token_denylist.hpp"
#include "api/oauth/oauth_routes.hpp"
#include "api/request_auth/me_route.hpp"
#include "api/request_auth/request_authorization.hpp"
#include "common/audit/audit_log.hpp"
#include "common/logging/logger.hpp"
#include "common/service/http_service.hpp"

namespace gpt_adapter::api {

int run_api_service() {
  const auto started = std::chrono::steady_clock::now();
  const auto settings = read_api_settings(config::process_env_reader());
  logging::init("gpt-adapter-api", settings.common.logging.level, settings.common.logging.format);
  if (settings.signing.ephemeral) {
    logging::warn(
        "DEVELOPMENT MODE: JWT_SECRET_KEY is not set, signing with an EPHEMERAL random key; every "
        "token dies with this process. Never run like this in production.");
  }
  service::http_service api("api", settings.common, settings.listener);

  auto redis_options = redis::parse_url(settings.common.redis.url);
  redis_options.command_timeout = settings.common.redis.command_timeout;
  // One issuer: the token endpoint signs with it, bearer authentication verifies with it.
  const auto token_issuer = oauth::make_token_issuer(settings.signing);
  const auto authorization = request_auth::request_authorization::create(
      api.context().get_executor(), settings.request_auth, token_issuer->keys(),
      token_issuer->settings(), api.dependencies(), redis_options, api.metrics());
  authorization->set_revocation_check(
      [redis = api.dependencies().redis](std::string jti) -> boost::asio::awaitable<bool> {
        if (!redis->connected()) {
          // Not worth waiting for a reconnect on every request: fail open at once.
          throw redis::error("Redis is not connected");
        }
        co_return co_await oauth::is_access_token_revoked(*redis, std::move(jti));
      });
  request_auth::add_me_route(*authorization, api.routes());
  const auto audit_log =
      std::make_shared<audit::audit_log>(api.dependencies().redis, api.metrics());
  oauth::add_oauth_routes(api.routes(), {.settings = settings.oauth,
                                         .issuer = token_issuer,
                                         .database = api.dependencies().database,
                                         .redis = api.dependencies().redis,
                                         .audit = audit_log,
                                         .metrics = api.metrics()});
  authorization->start();
  api.on_stop([authorization]() -> boost::asio::awaitable<void> {
    authorization->stop();
    co_return;
  });
  return api.run(started);
}

}  // namespace gpt_adapter::api
