#include "tools/admin/invalidation_publisher.hpp"

#include <stdexcept>

#include <boost/asio/this_coro.hpp>

#include "common/auth/application_invalidation.hpp"
#include "common/redis/client.hpp"

namespace gpt_adapter::admin {
namespace {

void warn(std::ostream& warnings, const std::string& reason) {
  warnings << "warning: " << reason
           << "; API replicas will pick up the change when their cached entry expires\n";
}

// Outside the coroutine: GCC 12 rejects a braced list of strings inside one.
std::vector<std::string> publish_command(const std::string& application_id) {
  return {"PUBLISH", std::string(auth::application_invalidation_channel), application_id};
}

}  // namespace

boost::asio::awaitable<void> publish_application_invalidation(std::optional<std::string> redis_url,
                                                              std::string application_id,
                                                              std::ostream& warnings) {
  if (!redis_url || redis_url->empty()) {
    warn(warnings, "REDIS_URL is not set, so no invalidation was published");
    co_return;
  }
  redis::connection_options options;
  try {
    options = redis::parse_url(*redis_url);
  } catch (const std::invalid_argument& invalid) {
    warn(warnings, std::string("REDIS_URL is invalid (") + invalid.what() +
                       "), so no invalidation was published");
    co_return;
  }
  const auto client = redis::client::create(co_await boost::asio::this_coro::executor, options);
  client->start();
  std::optional<std::string> failure;
  try {
    co_await client->command(publish_command(application_id));
  } catch (const redis::error& error) {
    failure = error.what();
  }
  client->stop();
  if (failure) {
    warn(warnings, "could not publish the invalidation to Redis (" + *failure + ")");
  }
}

}  // namespace gpt_adapter::admin
