#include "common/service/dependencies.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace gpt_adapter::service {

void dependencies::stop() {
  if (database) {
    database->stop();
  }
  if (redis) {
    redis->stop();
  }
}

dependencies start_dependencies(std::vector<boost::asio::any_io_executor> executors,
                                const config::common_settings& settings) {
  dependencies started;
  started.database = postgres::pool::create(
      executors.at(0), postgres::pool_options{.conninfo = settings.database.url,
                                              .min_size = settings.database.pool_min,
                                              .max_size = settings.database.pool_max,
                                              .connect_timeout = settings.database.connect_timeout,
                                              .query_timeout = settings.database.query_timeout});
  started.database->start();
  started.redis = redis::client::create(std::move(executors), settings.redis.connection);
  started.redis->start();
  return started;
}

std::vector<http::dependency_check> readiness_checks(const dependencies& targets) {
  return {
      {"postgres",
       [database = targets.database](std::chrono::milliseconds timeout)
           -> boost::asio::awaitable<bool> { co_return co_await database->ping(timeout); }},
      {"redis",
       [client = targets.redis](std::chrono::milliseconds timeout) -> boost::asio::awaitable<bool> {
         // Every I/O thread's connection, not only the one this probe happens to run on.
         if (!client->connected()) {
           co_return false;
         }
         std::vector<std::string> ping{"PING"};  // named: GCC 12 miscompiles a braced list here
         const auto answer = co_await client->command(std::move(ping), timeout);
         co_return answer.type == redis::reply::kind::status&& answer.text == "PONG";
       }},
  };
}

}  // namespace gpt_adapter::service
