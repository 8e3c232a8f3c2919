// Load generator for bench/worker-throughput.sh: enqueues N jobs the way the API does
// (queue::enqueue), waits until every job record is final, and prints one JSON line with the
// enqueue rate, the end-to-end throughput and the queue-to-done latency percentiles, taken from
// the records' created_at and completed_at.
//   gpt-adapter-queue-load REDIS_URL JOBS [IN_FLIGHT]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "common/auth/secret_hash.hpp"
#include "common/logging/logger.hpp"
#include "common/queue/job_store.hpp"
#include "common/queue/keys.hpp"
#include "common/queue/timestamp.hpp"
#include "common/redis/client.hpp"
#include "common/redis/url.hpp"

namespace net = boost::asio;
namespace queue = gpt_adapter::queue;
namespace redis = gpt_adapter::redis;
using std::chrono::milliseconds;

namespace {

struct run_result {
  double enqueue_seconds = 0;
  std::vector<std::int64_t> latencies_ms;
  std::int64_t first_created_ms = 0;
  std::int64_t last_completed_ms = 0;
  long long failed = 0;
};

queue::time_point now_ms() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

net::awaitable<void> enqueue_share(redis::client& client, std::string prefix, long long first,
                                   long long count) {
  for (long long i = first; i < first + count; ++i) {
    queue::job value;
    value.request_id = prefix + std::to_string(i);
    value.op = queue::operation::create;
    // UUIDs, as real application and end user ids are (the history writer checks them).
    value.application_id = "00000000-0000-4000-8000-000000000001";
    value.end_user_id = "00000000-0000-4000-9000-" +
                        std::string(12 - std::to_string(i % 100).size(), '0') +
                        std::to_string(i % 100);
    value.payload = boost::json::object{{"content", "bench memory " + std::to_string(i)}};
    value.enqueued_at = now_ms();
    value.deadline = value.enqueued_at + std::chrono::minutes(10);
    co_await queue::enqueue(client, value, std::chrono::hours(1));
  }
}

net::awaitable<run_result> run(std::shared_ptr<redis::client> client, long long jobs,
                               long long in_flight) {
  co_await queue::ensure_streams(*client);
  const std::string prefix = "load-" + gpt_adapter::auth::random_token(6) + "-";
  const auto executor = co_await net::this_coro::executor;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::future<void>> shares;
  const long long per_share = (jobs + in_flight - 1) / in_flight;
  for (long long first = 0; first < jobs; first += per_share) {
    shares.push_back(net::co_spawn(
        executor, enqueue_share(*client, prefix, first, std::min(per_share, jobs - first)),
        net::use_future));
  }
  net::steady_timer timer(executor);
  for (auto& share : shares) {
    while (share.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      timer.expires_after(milliseconds(5));
      co_await timer.async_wait(net::use_awaitable);
    }
    share.get();
  }
  run_result result;
  result.enqueue_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<long long> remaining(static_cast<std::size_t>(jobs));
  for (long long i = 0; i < jobs; ++i) {
    remaining[static_cast<std::size_t>(i)] = i;
  }
  result.first_created_ms = -1;
  while (!remaining.empty()) {
    std::vector<long long> still;
    for (std::size_t offset = 0; offset < remaining.size(); offset += 1000) {
      const auto end = std::min(remaining.size(), offset + 1000);
      std::vector<std::vector<std::string>> commands;
      for (std::size_t i = offset; i < end; ++i) {
        commands.push_back({"HMGET", queue::keys::job_record(prefix + std::to_string(remaining[i])),
                            "status", "created_at", "completed_at"});
      }
      const auto answers = co_await client->pipeline(std::move(commands), std::chrono::seconds(30));
      for (std::size_t i = offset; i < end; ++i) {
        const auto& values = answers[i - offset].as_array();
        if (values.at(2).is_nil()) {
          still.push_back(remaining[i]);
          continue;
        }
        if (values.at(0).as_string() != "succeeded") {
          ++result.failed;
        }
        const auto created = queue::parse_timestamp(values.at(1).as_string());
        const auto completed = queue::parse_timestamp(values.at(2).as_string());
        const auto created_ms = created->time_since_epoch().count();
        const auto completed_ms = completed->time_since_epoch().count();
        result.latencies_ms.push_back(completed_ms - created_ms);
        if (result.first_created_ms < 0 || created_ms < result.first_created_ms) {
          result.first_created_ms = created_ms;
        }
        result.last_completed_ms = std::max(result.last_completed_ms, completed_ms);
      }
    }
    remaining = std::move(still);
    if (!remaining.empty()) {
      timer.expires_after(milliseconds(50));
      co_await timer.async_wait(net::use_awaitable);
    }
  }
  co_return result;
}

std::int64_t percentile(std::vector<std::int64_t> values, double fraction) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values.at(index);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: gpt-adapter-queue-load REDIS_URL JOBS [IN_FLIGHT]\n";
    return 64;
  }
  const long long jobs = std::atoll(argv[2]);
  const long long in_flight = argc > 3 ? std::atoll(argv[3]) : 64;
  if (jobs <= 0 || in_flight <= 0) {
    std::cerr << "JOBS and IN_FLIGHT must be positive\n";
    return 64;
  }
  // Only the figures go to stdout: the client's connection notices are not wanted there.
  gpt_adapter::logging::init("gpt-adapter-queue-load", spdlog::level::warn,
                             gpt_adapter::logging::output_format::json);
  net::io_context context;
  auto client = redis::client::create(context.get_executor(), redis::parse_url(argv[1]));
  client->start();
  auto outcome = net::co_spawn(context, run(client, jobs, in_flight), net::use_future);
  std::thread runner([&] { context.run(); });
  run_result result;
  try {
    result = outcome.get();
  } catch (const std::exception& error) {
    std::cerr << "queue-load failed: " << error.what() << "\n";
    client->stop();
    runner.join();
    return 1;
  }
  client->stop();
  runner.join();
  const double span_s =
      static_cast<double>(result.last_completed_ms - result.first_created_ms) / 1000.0;
  const boost::json::object line{
      {"jobs", jobs},
      {"failed", result.failed},
      {"enqueue_per_second", static_cast<double>(jobs) / result.enqueue_seconds},
      {"jobs_per_second", span_s > 0 ? static_cast<double>(jobs) / span_s : 0.0},
      {"latency_p50_ms", percentile(result.latencies_ms, 0.50)},
      {"latency_p99_ms", percentile(result.latencies_ms, 0.99)}};
  std::cout << boost::json::serialize(line) << std::endl;
  return result.failed == 0 ? 0 : 1;
}
