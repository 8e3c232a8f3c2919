#include "common/queue/stream_consumer.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/metrics/registry.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"
#include "common/redis/url.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/servers.hpp"

// The consumer-group engine itself, once, against a real Redis: the job loop and the sinks are
// policies on top of it (their own tests cover what they decide).

namespace queue = gpt_adapter::queue;
namespace redis = gpt_adapter::redis;
namespace net = boost::asio;
using namespace gpt_adapter::testing;
using namespace std::chrono_literals;

namespace {

const std::string stream = "{gpt-adapter}:engine-test";
const std::string dead_stream = "{gpt-adapter}:engine-test:dead";
const std::string group = "engine-testers";

struct engine_fixture {
  redis_server server;
  io_threads threads{2};
  std::shared_ptr<redis::client> client;
  redis_commands direct{server.port()};
  gpt_adapter::metrics::registry registry;
  queue::stream_consumer_metrics metrics{registry};

  engine_fixture() {
    client =
        redis::client::create(threads.context().get_executor(), redis::parse_url(server.url()));
    client->start();
  }
  ~engine_fixture() { client->stop(); }

  std::shared_ptr<queue::stream_consumer> consumer(const std::string& name,
                                                   queue::batch_handler handler,
                                                   std::size_t batch_size = 1) {
    queue::consumer_settings settings{.name = "engine-test",
                                      .stream = stream,
                                      .group = group,
                                      .dead_stream = dead_stream,
                                      .consumer = name,
                                      .batch_size = batch_size,
                                      .batch_max_wait = 50ms,
                                      .concurrency = 2,
                                      .block = 100ms,
                                      .claim_idle = 600000ms,
                                      .claim_interval = 600000ms,
                                      .heartbeat_ttl = 400ms,
                                      .heartbeat_interval = 50ms,
                                      .count_deliveries = true};
    return queue::stream_consumer::create(threads.context().get_executor(), settings, client,
                                          redis::parse_url(server.url()), std::move(handler),
                                          metrics);
  }

  long long count(const std::vector<std::string>& command) {
    return direct.run(command).as_integer();
  }

  long long pending_of(const std::string& consumer) {
    return static_cast<long long>(
        direct.run({"XPENDING", stream, group, "-", "+", "100", consumer}).as_array().size());
  }

  bool in_group(const std::string& consumer) {
    const auto consumers = direct.run({"XINFO", "CONSUMERS", stream, group});
    for (const auto& item : consumers.as_array()) {
      for (const auto& [name, value] : redis::parse_info_map(item)) {
        if (name == "name" && value.text == consumer) {
          return true;
        }
      }
    }
    return false;
  }
};

std::string field_of(const redis::stream_entry& entry, const std::string& name) {
  for (const auto& [key, value] : entry.fields) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

}  // namespace

TEST_CASE("stream consumer: ack, dead, keep and retry_later verdicts", "[integration][queue]") {
  engine_fixture fixture;
  for (const auto* verdict : {"ack", "dead", "keep", "retry"}) {
    fixture.direct.xadd(stream, {{"verdict", verdict}});
  }
  std::mutex mutex;
  std::map<std::string, int> calls;
  auto consumer = fixture.consumer(
      "only",
      [&](const std::vector<queue::delivery>& batch)
          -> net::awaitable<std::vector<queue::verdict>> {
        std::vector<queue::verdict> verdicts;
        const std::lock_guard lock(mutex);
        for (const auto& delivered : batch) {
          const auto wanted = field_of(delivered.entry, "verdict");
          const auto seen = ++calls[wanted];
          if (wanted == "dead") {
            verdicts.push_back(queue::verdict::dead_letter("refused", "the reason"));
          } else if (wanted == "keep") {
            verdicts.push_back(queue::verdict::left_pending());
          } else if (wanted == "retry" && seen == 1) {
            verdicts.push_back(queue::verdict::again_after(50ms));
          } else {
            verdicts.push_back(queue::verdict::acknowledged());
          }
        }
        co_return verdicts;
      },
      4);
  consumer->start();
  // Acknowledged and dead entries are deleted; the kept one stays, pending for this consumer.
  REQUIRE(wait_until([&] { return fixture.count({"XLEN", stream}) == 1; }, 10s));
  CHECK(fixture.pending_of("only") == 1);
  {
    const std::lock_guard lock(mutex);
    CHECK(calls["retry"] == 2);
    CHECK(calls["ack"] == 1);
    CHECK(calls["keep"] == 1);
  }
  const auto dead = redis::parse_entries(fixture.direct.run({"XRANGE", dead_stream, "-", "+"}));
  REQUIRE(dead.size() == 1);
  std::vector<std::string> names;
  for (const auto& [name, value] : dead.front().fields) {
    names.push_back(name);
  }
  CHECK(names ==
        std::vector<std::string>{"verdict", "last_error", "dead_reason", "source_id", "failed_at"});
  CHECK(field_of(dead.front(), "dead_reason") == "refused");
  CHECK(field_of(dead.front(), "last_error") == "the reason");
  fixture.threads.run(consumer->stop(1s));
  // It still holds the kept entry, so it stays in the group for a takeover.
  CHECK(fixture.in_group("only"));
}

TEST_CASE("stream consumer: a lapsed heartbeat hands the dead consumer's entries over at once",
          "[integration][queue]") {
  engine_fixture fixture;
  fixture.direct.run({"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"});
  for (int i = 0; i < 3; ++i) {
    fixture.direct.xadd(stream, {{"n", std::to_string(i)}});
  }
  // Two entries read by a consumer that died (no heartbeat), one by a live one whose heartbeat
  // is alive although it does not read.
  fixture.direct.run({"XREADGROUP", "GROUP", group, "dead", "COUNT", "2", "STREAMS", stream, ">"});
  fixture.direct.run({"XREADGROUP", "GROUP", group, "alive", "COUNT", "1", "STREAMS", stream, ">"});
  fixture.direct.run({"SET", queue::heartbeat_key(stream, group, "alive"), "1", "PX", "600000"});

  std::mutex mutex;
  std::vector<queue::delivery> handled;
  auto consumer = fixture.consumer("live",
                                   [&](const std::vector<queue::delivery>& batch)
                                       -> net::awaitable<std::vector<queue::verdict>> {
                                     const std::lock_guard lock(mutex);
                                     handled.insert(handled.end(), batch.begin(), batch.end());
                                     co_return std::vector<queue::verdict>(
                                         batch.size(), queue::verdict::acknowledged());
                                   });
  const auto started = std::chrono::steady_clock::now();
  consumer->start();
  REQUIRE(wait_until(
      [&] {
        const std::lock_guard lock(mutex);
        return handled.size() == 2;
      },
      10s));
  // Idle past the TTL (400 ms) and no heartbeat: taken over within a few heartbeat intervals.
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  {
    const std::lock_guard lock(mutex);
    for (const auto& delivered : handled) {
      CHECK(delivered.redelivered);
      CHECK(delivered.deliveries == 2);
    }
  }
  CHECK(wait_until([&] { return !fixture.in_group("dead"); }, 5s));
  // The live consumer keeps its entry however idle it is.
  CHECK(fixture.pending_of("alive") == 1);
  const std::string sample = "gpt_adapter_queue_entries_taken_over_total{stream=\"engine-test\"} ";
  const auto exposed = fixture.registry.expose();
  const auto at = exposed.find(sample);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(exposed.substr(at + sample.size())) == 2);
  fixture.threads.run(consumer->stop(1s));
  // It held nothing at the end, so it left the group and dropped its heartbeat.
  CHECK_FALSE(fixture.in_group("live"));
  CHECK(fixture.count({"EXISTS", queue::heartbeat_key(stream, group, "live")}) == 0);
}

TEST_CASE("stream consumer: creates its group again when the stream vanishes",
          "[integration][queue]") {
  engine_fixture fixture;
  std::atomic<int> handled{0};
  auto consumer = fixture.consumer("only",
                                   [&](const std::vector<queue::delivery>& batch)
                                       -> net::awaitable<std::vector<queue::verdict>> {
                                     handled += static_cast<int>(batch.size());
                                     co_return std::vector<queue::verdict>(
                                         batch.size(), queue::verdict::acknowledged());
                                   });
  consumer->start();
  REQUIRE(wait_until([&] { return fixture.count({"EXISTS", stream}) == 1; }, 10s));
  fixture.direct.xadd(stream, {{"n", "1"}});
  REQUIRE(wait_until([&] { return handled.load() == 1; }, 10s));
  fixture.direct.run({"DEL", stream});
  fixture.direct.xadd(stream, {{"n", "2"}});
  CHECK(wait_until([&] { return handled.load() == 2; }, 15s));
  fixture.threads.run(consumer->stop(1s));
}
