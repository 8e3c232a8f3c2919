#include "tools/admin/invalidation_publisher.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/this_coro.hpp>

#include "common/auth/redis_names.hpp"
#include "common/redis/client.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;
using command_list = std::vector<std::vector<std::string>>;

void warn(std::ostream& warnings, const std::string& reason) {
  warnings << "warning: " << reason
           << "; API replicas will pick up the change when their cached entry expires\n";
}

// Outside the coroutines: GCC 12 rejects a braced list of strings inside one.
std::vector<std::string> publish_command(std::string_view channel, const std::string& id) {
  return {"PUBLISH", std::string(channel), id};
}

std::vector<std::string> deny_command(const live_access_token& token) {
  return {"SET", auth::denied_access_token_key(token.token_id), "1", "EX",
          std::to_string(token.remaining.count())};
}

// Runs `commands` on a connection of its own, pipelined. The reason when they did not all
// succeed, std::nullopt when they did.
asio::awaitable<std::optional<std::string>> run_on_redis(const redis_target& target,
                                                         command_list commands) {
  if (!target.options) {
    co_return target.unusable;
  }
  const auto executor = co_await asio::this_coro::executor;
  const auto client = redis::client::create(executor, *target.options);
  client->start();
  std::optional<std::string> failure;
  try {
    for (const auto& answer : co_await client->pipeline(std::move(commands))) {
      answer.throw_if_error();
    }
  } catch (const redis::error& error) {
    failure = std::string("Redis failed (") + error.what() + ")";
  }
  client->stop();
  co_return failure;
}

}  // namespace

asio::awaitable<void> publish_application_invalidation(const redis_target& target,
                                                       std::string application_id,
                                                       std::ostream& warnings) {
  command_list commands;
  commands.push_back(publish_command(auth::application_invalidation_channel, application_id));
  if (const auto failure = co_await run_on_redis(target, std::move(commands))) {
    warn(warnings, "could not publish the invalidation: " + *failure);
  }
}

asio::awaitable<void> publish_end_user_invalidation(const redis_target& target,
                                                    std::string end_user_id,
                                                    std::vector<live_access_token> denied,
                                                    std::ostream& warnings) {
  command_list commands;
  std::chrono::seconds longest{0};
  for (const auto& token : denied) {
    commands.push_back(deny_command(token));
    longest = std::max(longest, token.remaining);
  }
  // Last: a replica that reloads the end user on hearing it must find the deny-list complete.
  commands.push_back(publish_command(auth::end_user_invalidation_channel, end_user_id));
  const auto failure = co_await run_on_redis(target, std::move(commands));
  if (!failure) {
    co_return;
  }
  warn(warnings, "could not publish the invalidation: " + *failure);
  if (!denied.empty()) {
    warnings << "warning: " << denied.size()
             << " access token(s) of the ended sessions were not put on the deny-list; they stay "
                "usable for up to "
             << longest.count() << " s unless the end user is disabled\n";
  }
}

}  // namespace gpt_adapter::admin
