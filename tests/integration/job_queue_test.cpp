#include "common/queue/job_queue.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/queue/completion_waiter.hpp"
#include "common/queue/keys.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"
#include "common/redis/url.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/servers.hpp"

namespace queue = gpt_adapter::queue;
namespace redis = gpt_adapter::redis;
using namespace gpt_adapter::testing;

namespace {

constexpr std::chrono::milliseconds record_ttl = std::chrono::hours(1);

queue::job make_job(const std::string& request_id) {
  queue::job value;
  value.request_id = request_id;
  value.op = queue::operation::create;
  value.application_id = "app-1";
  value.end_user_id = "user-1";
  value.payload = boost::json::parse(R"({"content":"likes tea"})").as_object();
  value.enqueued_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  value.deadline = value.enqueued_at + std::chrono::minutes(5);
  return value;
}

// A private Redis, a client of the code under test and the test's own blocking connection.
struct queue_fixture {
  redis_server server;
  io_threads threads{2};
  std::shared_ptr<redis::client> client;
  redis_commands direct{server.port()};

  queue_fixture() {
    client =
        redis::client::create(threads.context().get_executor(), redis::parse_url(server.url()));
    client->start();
    threads.run(jobs().ensure_streams());
  }
  ~queue_fixture() { client->stop(); }

  queue::job_queue jobs() const { return queue::job_queue(*client, record_ttl); }

  // The ids `consumer` holds in the group's pending list.
  std::vector<std::string> pending_ids(const std::string& consumer) {
    const auto pending =
        direct.run({"XPENDING", std::string(queue::keys::jobs_stream),
                    std::string(queue::keys::consumer_group), "-", "+", "10", consumer});
    std::vector<std::string> ids;
    for (const auto& item : pending.as_array()) {
      ids.emplace_back(item.as_array().at(0).as_string());
    }
    return ids;
  }

  // Reads up to `count` new entries as `consumer`, as a worker does.
  std::vector<redis::stream_entry> read_new(const std::string& consumer, int count = 10) {
    return redis::parse_read(direct.run(
        {"XREADGROUP", "GROUP", std::string(queue::keys::consumer_group), consumer, "COUNT",
         std::to_string(count), "STREAMS", std::string(queue::keys::jobs_stream), ">"}));
  }

  long long stream_length(std::string_view key) {
    return direct.run({"XLEN", std::string(key)}).as_integer();
  }

  std::optional<queue::job_record> record(const std::string& request_id) {
    return threads.run(jobs().read_record(request_id));
  }
};

queue::settlement succeeded(const queue::job& value, const std::string& entry_id) {
  queue::settlement change;
  change.entry_id = entry_id;
  change.request_id = value.request_id;
  auto record = queue::queued_record(value);
  record.status = queue::job_status::succeeded;
  record.attempts = value.attempt;
  record.completed_at = value.enqueued_at;
  record.result = R"({"memory_id":"m-1"})";
  change.record = record;
  queue::job_outcome outcome;
  outcome.request_id = value.request_id;
  outcome.application_id = value.application_id;
  outcome.op = value.op;
  outcome.status = queue::job_status::succeeded;
  outcome.created_at = value.enqueued_at;
  outcome.completed_at = value.enqueued_at;
  change.outcome = outcome;
  change.notify = true;
  return change;
}

}  // namespace

TEST_CASE("queue: creating the streams twice is fine, and an enqueued job is readable at once",
          "[integration][queue]") {
  queue_fixture fixture;
  fixture.threads.run(fixture.jobs().ensure_streams());

  const auto value = make_job("req-enqueue");
  const auto id = fixture.threads.run(fixture.jobs().enqueue(value));
  CHECK_FALSE(id.empty());

  const auto record = fixture.record("req-enqueue");
  REQUIRE(record.has_value());
  CHECK(record->status == queue::job_status::queued);
  CHECK(record->attempts == 0);
  CHECK(record->end_user_id == value.end_user_id);
  const auto ttl =
      fixture.direct.run({"PTTL", queue::keys::job_record("req-enqueue")}).as_integer();
  CHECK(ttl > 0);
  CHECK(ttl <= record_ttl.count());

  const auto entries = fixture.read_new("consumer-a");
  REQUIRE(entries.size() == 1);
  CHECK(entries.front().id == id);
  const auto decoded = queue::decode(entries.front().fields);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == value);
  CHECK_FALSE(fixture.record("req-missing").has_value());
}

TEST_CASE("queue: settling records once; the second settlement of an entry changes nothing",
          "[integration][queue]") {
  queue_fixture fixture;
  const auto value = make_job("req-settle");
  fixture.threads.run(fixture.jobs().enqueue(value));
  const auto entries = fixture.read_new("consumer-a");
  REQUIRE(entries.size() == 1);
  REQUIRE(fixture.threads.run(fixture.jobs().mark_running(value)));
  CHECK(fixture.record("req-settle")->status == queue::job_status::running);

  const auto change = succeeded(value, entries.front().id);
  CHECK(fixture.threads.run(fixture.jobs().settle(change)));
  CHECK_FALSE(fixture.threads.run(fixture.jobs().settle(change)));

  const auto record = fixture.record("req-settle");
  REQUIRE(record.has_value());
  CHECK(record->status == queue::job_status::succeeded);
  CHECK(record->result == std::optional<std::string>(R"({"memory_id":"m-1"})"));
  CHECK(fixture.stream_length(queue::keys::history_stream) == 1);
  // Acknowledged entries are deleted, not left for trimming.
  CHECK(fixture.stream_length(queue::keys::jobs_stream) == 0);
  // A late duplicate delivery of the finished job is not run again.
  CHECK_FALSE(fixture.threads.run(fixture.jobs().mark_running(value)));
}

TEST_CASE("queue: delayed jobs return to the stream only when due", "[integration][queue]") {
  queue_fixture fixture;
  auto soon = make_job("req-soon");
  auto later = make_job("req-later");
  for (auto* value : {&soon, &later}) {
    fixture.threads.run(fixture.jobs().enqueue(*value));
  }
  const auto entries = fixture.read_new("consumer-a");
  REQUIRE(entries.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    queue::settlement change;
    change.entry_id = entries[i].id;
    change.request_id = i == 0 ? soon.request_id : later.request_id;
    auto next = i == 0 ? soon : later;
    next.attempt = 2;
    change.delayed_job = next;
    change.delay = i == 0 ? std::chrono::milliseconds(200) : std::chrono::minutes(10);
    REQUIRE(fixture.threads.run(fixture.jobs().settle(change)));
  }
  CHECK(fixture.direct.run({"ZCARD", std::string(queue::keys::delayed_set)}).as_integer() == 2);
  CHECK(fixture.threads.run(fixture.jobs().move_due(100)) == 0);

  REQUIRE(
      wait_until([&] { return fixture.threads.run(fixture.jobs().move_due(100)) == 1; }, 5s, 20ms));
  const auto moved = fixture.read_new("consumer-b");
  REQUIRE(moved.size() == 1);
  const auto decoded = queue::decode(moved.front().fields);
  REQUIRE(decoded.ok());
  CHECK(decoded->request_id == "req-soon");
  CHECK(decoded->attempt == 2);
  CHECK(fixture.direct.run({"ZCARD", std::string(queue::keys::delayed_set)}).as_integer() == 1);
}

TEST_CASE("queue: a handed-back entry is at once readable by another consumer",
          "[integration][queue]") {
  queue_fixture fixture;
  const auto value = make_job("req-hand-back");
  fixture.threads.run(fixture.jobs().enqueue(value));
  const auto entries = fixture.read_new("consumer-a");
  REQUIRE(entries.size() == 1);
  REQUIRE(fixture.threads.run(fixture.jobs().mark_running(value)));
  CHECK(fixture.pending_ids("consumer-a") == std::vector<std::string>{entries.front().id});

  CHECK(fixture.threads.run(fixture.jobs().hand_back(entries.front())));
  CHECK_FALSE(fixture.threads.run(fixture.jobs().hand_back(entries.front())));
  CHECK(fixture.pending_ids("consumer-a").empty());
  CHECK(fixture.record("req-hand-back")->status == queue::job_status::queued);

  const auto again = fixture.read_new("consumer-b");
  REQUIRE(again.size() == 1);
  CHECK(again.front().fields == entries.front().fields);
  CHECK(fixture.stream_length(queue::keys::jobs_stream) == 1);
  const auto counts = fixture.threads.run(fixture.jobs().read_backlog());
  CHECK(counts.pending == 1);
  CHECK(counts.undelivered == 0);
}

TEST_CASE("queue: a waiter wakes on the completion notification", "[integration][queue]") {
  queue_fixture fixture;
  auto waiter = queue::completion_waiter::create(fixture.threads.context().get_executor(),
                                                 redis::parse_url(fixture.server.url()),
                                                 fixture.client, std::chrono::seconds(30));
  waiter->start();
  REQUIRE(wait_until([&] { return waiter->subscribed(); }, 10s));

  const auto value = make_job("req-wait");
  fixture.threads.run(fixture.jobs().enqueue(value));
  const auto started = std::chrono::steady_clock::now();
  auto pending = boost::asio::co_spawn(
      fixture.threads.context(),
      waiter->wait("req-wait", std::chrono::steady_clock::now() + std::chrono::seconds(20)),
      boost::asio::use_future);
  REQUIRE(wait_until([&] { return waiter->waiting() == 1; }, 5s));
  const auto entries = fixture.read_new("consumer-a");
  REQUIRE(entries.size() == 1);
  REQUIRE(fixture.threads.run(fixture.jobs().settle(succeeded(value, entries.front().id))));
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  const auto record = pending.get();
  // Far sooner than the 30 s poll interval: the notification woke it.
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  REQUIRE(record.has_value());
  CHECK(record->status == queue::job_status::succeeded);
  CHECK(waiter->waiting() == 0);
  waiter->stop();
}

TEST_CASE("queue: a waiter falls back to polling, and answers the latest record at the deadline",
          "[integration][queue]") {
  queue_fixture fixture;
  auto waiter = queue::completion_waiter::create(fixture.threads.context().get_executor(),
                                                 redis::parse_url(fixture.server.url()),
                                                 fixture.client, std::chrono::milliseconds(100));
  waiter->start();

  const auto value = make_job("req-poll");
  fixture.threads.run(fixture.jobs().enqueue(value));
  const auto at_deadline = fixture.threads.run(
      waiter->wait("req-poll", std::chrono::steady_clock::now() + std::chrono::milliseconds(300)));
  REQUIRE(at_deadline.has_value());
  CHECK(at_deadline->status == queue::job_status::queued);

  // Finished without a notification (as if it were lost): the poll finds it.
  auto pending = boost::asio::co_spawn(
      fixture.threads.context(),
      waiter->wait("req-poll", std::chrono::steady_clock::now() + std::chrono::seconds(20)),
      boost::asio::use_future);
  fixture.direct.run({"HSET", queue::keys::job_record("req-poll"), "status", "succeeded",
                      "completed_at", "2026-01-01T00:00:00.000Z"});
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  CHECK(pending.get()->status == queue::job_status::succeeded);
  CHECK_FALSE(fixture.threads
                  .run(waiter->wait(
                      "req-none", std::chrono::steady_clock::now() + std::chrono::milliseconds(50)))
                  .has_value());
  waiter->stop();
}
