// Load generator for bench/worker-throughput.sh: enqueues N create jobs of application APP_ID
// (which must exist, or every history row fails its foreign key) the way the API does
// (queue::job_queue::enqueue), waits until the queue and the history stream are drained, then reads
// every job record once and prints one JSON line with the enqueue rate, the end-to-end throughput
// and the queue-to-done latency percentiles (from the records' created_at and completed_at). Exits
// 1 when a job did not succeed or anything was dead-lettered.
//   gpt-adapter-queue-load REDIS_URL APP_ID JOBS [IN_FLIGHT]
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
#include "common/queue/job_queue.hpp"
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
  double drain_seconds = 0;
  long long failed = 0;
  std::int64_t dead_jobs = 0;
  std::int64_t dead_outcomes = 0;
};

queue::time_point now_ms() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

net::awaitable<void> enqueue_share(redis::client& client, std::string application_id,
                                   std::string prefix, long long first, long long count) {
  for (long long i = first; i < first + count; ++i) {
    queue::job value;
    value.request_id = prefix + std::to_string(i);
    value.op = queue::operation::create;
    // UUIDs, as real end user ids are (the history writer checks them).
    value.application_id = application_id;
    value.end_user_id = "00000000-0000-4000-9000-" +
                        std::string(12 - std::to_string(i % 100).size(), '0') +
                        std::to_string(i % 100);
    value.payload = boost::json::object{{"content", "bench memory " + std::to_string(i)}};
    value.enqueued_at = now_ms();
    value.deadline = value.enqueued_at + std::chrono::minutes(10);
    co_await queue::job_queue(client, std::chrono::hours(1)).enqueue(value);
  }
}

net::awaitable<run_result> run(std::shared_ptr<redis::client> client, std::string application_id,
                               long long jobs, long long in_flight) {
  co_await queue::job_queue(*client).ensure_streams();
  const std::string prefix = "load-" + gpt_adapter::auth::random_token(6) + "-";
  const auto executor = co_await net::this_coro::executor;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::future<void>> shares;
  const long long per_share = (jobs + in_flight - 1) / in_flight;
  for (long long first = 0; first < jobs; first += per_share) {
    shares.push_back(net::co_spawn(
        executor,
        enqueue_share(*client, application_id, prefix, first, std::min(per_share, jobs - first)),
        net::use_future));
  }
  net::steady_timer share_timer(executor);
  for (auto& share : shares) {
    while (share.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      share_timer.expires_after(milliseconds(5));
      co_await share_timer.async_wait(net::use_awaitable);
    }
    share.get();
  }
  run_result result;
  result.enqueue_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // Drained once the jobs stream and the delayed set are empty (acknowledged entries are
  // deleted) and the history sink has written every outcome: three O(1) commands a poll, so
  // waiting costs Redis next to nothing while the workers run.
  net::steady_timer timer(executor);
  const std::vector<std::vector<std::string>> drain_check{
      {"XLEN", std::string(queue::keys::jobs_stream)},
      {"ZCARD", std::string(queue::keys::delayed_set)},
      {"XLEN", std::string(queue::keys::history_stream)}};
  for (;;) {
    const auto counts = co_await client->pipeline(drain_check, std::chrono::seconds(30));
    if (std::all_of(counts.begin(), counts.end(),
                    [](const auto& count) { return count.as_integer() == 0; })) {
      break;
    }
    timer.expires_after(milliseconds(50));
    co_await timer.async_wait(net::use_awaitable);
  }
  result.drain_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // The records, once, after the measurement.
  result.first_created_ms = -1;
  for (long long offset = 0; offset < jobs; offset += 1000) {
    const auto end = std::min(jobs, offset + 1000);
    std::vector<std::vector<std::string>> commands;
    for (long long i = offset; i < end; ++i) {
      commands.push_back({"HMGET", queue::keys::job_record(prefix + std::to_string(i)), "status",
                          "created_at", "completed_at"});
    }
    const auto answers = co_await client->pipeline(std::move(commands), std::chrono::seconds(30));
    for (const auto& answer : answers) {
      const auto& values = answer.as_array();
      if (values.at(0).is_nil() || values.at(0).as_string() != "succeeded" ||
          values.at(2).is_nil()) {
        ++result.failed;
        continue;
      }
      const auto created_ms =
          queue::parse_timestamp(values.at(1).as_string())->time_since_epoch().count();
      const auto completed_ms =
          queue::parse_timestamp(values.at(2).as_string())->time_since_epoch().count();
      result.latencies_ms.push_back(completed_ms - created_ms);
      if (result.first_created_ms < 0 || created_ms < result.first_created_ms) {
        result.first_created_ms = created_ms;
      }
      result.last_completed_ms = std::max(result.last_completed_ms, completed_ms);
    }
  }
  std::vector<std::vector<std::string>> dead_check{
      {"XLEN", std::string(queue::keys::dead_letter_stream)},
      {"XLEN", std::string(queue::keys::history_dead_stream)}};
  const auto dead = co_await client->pipeline(std::move(dead_check), std::chrono::seconds(30));
  result.dead_jobs = dead.at(0).as_integer();
  result.dead_outcomes = dead.at(1).as_integer();
  co_return result;
}

std::int64_t percentile(std::vector<std::int64_t> values, double fraction) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values.at(index);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: gpt-adapter-queue-load REDIS_URL APP_ID JOBS [IN_FLIGHT]\n";
    return 64;
  }
  const std::string application_id = argv[2];
  const long long jobs = std::atoll(argv[3]);
  const long long in_flight = argc > 4 ? std::atoll(argv[4]) : 64;
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
  auto outcome =
      net::co_spawn(context, run(client, application_id, jobs, in_flight), net::use_future);
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
      {"dead_jobs", result.dead_jobs},
      {"dead_outcomes", result.dead_outcomes},
      {"drain_seconds", result.drain_seconds},
      {"enqueue_per_second", static_cast<double>(jobs) / result.enqueue_seconds},
      {"jobs_per_second", span_s > 0 ? static_cast<double>(jobs) / span_s : 0.0},
      {"latency_p50_ms", percentile(result.latencies_ms, 0.50)},
      {"latency_p99_ms", percentile(result.latencies_ms, 0.99)}};
  std::cout << boost::json::serialize(line) << std::endl;
  return result.failed == 0 && result.dead_jobs == 0 && result.dead_outcomes == 0 ? 0 : 1;
}
