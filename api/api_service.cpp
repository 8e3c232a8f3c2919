#include "api/api_service.hpp"

#include <chrono>
#include <exception>

#include <boost/asio/co_spawn.hpp>

#include "api/api_settings.hpp"
#include "api/mcp/mcp_routes.hpp"
#include "api/memory/document_routes.hpp"
#include "api/memory/memory_routes.hpp"
#include "api/oauth/oauth_routes.hpp"
#include "api/request_auth/me_route.hpp"
#include "api/request_auth/request_authorization.hpp"
#include "common/audit/audit_log.hpp"
#include "common/logging/logger.hpp"
#include "common/queue/completion_waiter.hpp"
#include "common/queue/job_queue.hpp"
#include "common/service/http_service.hpp"

namespace gpt_adapter::api {

int run_api_service() {
  const auto started = std::chrono::steady_clock::now();
  const auto settings = read_api_settings(config::process_env_reader());
  const auto memory_settings = memory::read_memory_settings(config::process_env_reader());
  logging::init("gpt-adapter-api", settings.common.logging.level, settings.common.logging.format,
                settings.common.logging.environment);
  if (settings.signing.ephemeral) {
    logging::warn(
        "DEVELOPMENT MODE: JWT_SECRET_KEY is not set, signing with an EPHEMERAL random key; every "
        "token dies with this process. Never run like this in production.");
  }
  service::http_service api("api", settings.common, settings.listener);

  const auto& redis_options = settings.common.redis.connection;
  // One issuer: the token endpoint signs with it, bearer authentication verifies with it.
  const auto token_issuer = oauth::make_token_issuer(settings.signing);
  const auto authorization = request_auth::request_authorization::create(
      api.context().get_executor(), settings.request_auth, token_issuer->keys(),
      token_issuer->settings(), api.dependencies(), redis_options, api.metrics());
  if (settings.cors.enabled()) {
    api.routes().set_cors(std::make_shared<const http::cors_policy>(settings.cors));
  }
  request_auth::add_me_route(*authorization, api.routes());
  const auto audit_log =
      std::make_shared<audit::audit_log>(api.dependencies().redis, api.metrics());
  oauth::add_oauth_routes(api.routes(), {.executor = api.context().get_executor(),
                                         .settings = settings.oauth,
                                         .issuer = token_issuer,
                                         .database = api.dependencies().database,
                                         .redis = api.dependencies().redis,
                                         .audit = audit_log,
                                         .metrics = api.metrics()});
  const auto waiter = queue::completion_waiter::create(api.context().get_executor(), redis_options,
                                                       api.dependencies().redis);
  memory::add_memory_routes(*authorization, api.routes(),
                            {.redis = api.dependencies().redis,
                             .waiter = waiter,
                             .audit = audit_log,
                             .settings = memory_settings,
                             .public_base_url = settings.oauth.public_base_url,
                             .metrics = api.metrics()});
  mcp::add_mcp_routes(*authorization, api.routes(),
                      {.public_base_url = settings.oauth.public_base_url,
                       .issuer = settings.signing.issuer,
                       .version = GPT_ADAPTER_VERSION});
  memory::add_document_routes(api.routes(), authorization->requirements(),
                              settings.oauth.public_base_url);
  authorization->start();
  waiter->start();
  boost::asio::co_spawn(
      api.context(),
      [redis = api.dependencies().redis]() -> boost::asio::awaitable<void> {
        co_await queue::job_queue(*redis).ensure_streams();
      },
      [](const std::exception_ptr& failure) {
        if (failure) {
          logging::warn("cannot create the jobs stream yet; the first job creates it");
        }
      });
  api.on_stop([authorization, waiter]() -> boost::asio::awaitable<void> {
    waiter->stop();
    authorization->stop();
    co_return;
  });
  return api.run(started);
}

}  // namespace gpt_adapter::api
