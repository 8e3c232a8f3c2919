#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "common/redis/client.hpp"
#include "common/redis/subscriber.hpp"
#include "common/redis/url.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_acl.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/redis_sentinel.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/tls_test_server.hpp"

namespace {

namespace redis = gpt_adapter::redis;
using gpt_adapter::testing::io_threads;
using gpt_adapter::testing::make_test_certificates;
using gpt_adapter::testing::redis_server;
using gpt_adapter::testing::redis_server_options;
using gpt_adapter::testing::temp_dir;
using gpt_adapter::testing::test_certificates;
using gpt_adapter::testing::wait_until;
using namespace std::chrono_literals;

redis::connection_options quick(redis::connection_options options) {
  options.connect_timeout = 1000ms;
  options.command_timeout = 1500ms;
  options.reconnect_min_delay = 20ms;
  options.reconnect_max_delay = 100ms;
  return options;
}

// Runs one command on a fresh client and returns the reply, or the error's text.
std::string try_command(const redis::connection_options& options, std::vector<std::string> args) {
  io_threads io(1);
  auto client = redis::client::create(io.context().get_executor(), options);
  client->start();
  std::string outcome;
  try {
    const auto answer = io.run(client->command(std::move(args)));
    outcome = answer.type == redis::reply::kind::integer ? std::to_string(answer.integer)
                                                         : answer.as_string();
  } catch (const redis::error& failure) {
    outcome = std::string("error: ") + failure.what();
  }
  client->stop();
  return outcome;
}

struct tls_redis {
  explicit tls_redis(bool require_client_certificate = false)
      : certificates(make_test_certificates(dir.path(), {"redis.test"}, {"127.0.0.1"})),
        server(redis_server_options{.tls = certificates,
                                    .require_client_certificate = require_client_certificate}) {}

  redis::connection_options options() const {
    auto parsed = quick(redis::parse_url(server.url()));
    parsed.tls->files.ca_file = certificates.ca_certificate.string();
    return parsed;
  }

  temp_dir dir{"gpt-adapter-redis-tls"};
  test_certificates certificates;
  redis_server server;
};

constexpr auto acl_password = "acl-test-password";

// Outside the coroutine: GCC 12 rejects braced lists of strings inside one.
std::vector<std::string> flow_entry(int n) {
  return {"XADD", "{gpt-adapter}:flow", "*", "n", std::to_string(n)};
}

}  // namespace

TEST_CASE("redis over TLS: rediss:// verifies the server against the CA and works",
          "[redis][tls]") {
  tls_redis tls;
  CHECK(tls.server.url().starts_with("rediss://"));
  CHECK(try_command(tls.options(), {"SET", "k", "v"}) == "OK");
  CHECK(try_command(tls.options(), {"GET", "k"}) == "v");

  // The certificate names 127.0.0.1 and redis.test: another expected name is refused.
  auto wrong_name = tls.options();
  wrong_name.tls->server_name = "other.test";
  CHECK_THAT(try_command(wrong_name, {"PING"}), Catch::Contains("certificate verify failed"));
  auto right_name = tls.options();
  right_name.tls->server_name = "redis.test";
  CHECK(try_command(right_name, {"PING"}) == "PONG");

  // Without our CA, the system's store does not know this one.
  auto untrusted = tls.options();
  untrusted.tls->files.ca_file.reset();
  CHECK_THAT(try_command(untrusted, {"PING"}), Catch::Contains("certificate verify failed"));

  // And plain TCP to a TLS port never gets an answer.
  auto plain = tls.options();
  plain.tls.reset();
  CHECK_THAT(try_command(plain, {"PING"}), Catch::StartsWith("error: "));
}

TEST_CASE("redis over TLS: a server that requires client certificates gets ours", "[redis][tls]") {
  tls_redis tls(true);
  CHECK_THAT(try_command(tls.options(), {"PING"}), Catch::StartsWith("error: "));
  auto mutual = tls.options();
  mutual.tls->files.certificate_file = tls.certificates.client_certificate.string();
  mutual.tls->files.key_file = tls.certificates.client_key.string();
  CHECK(try_command(mutual, {"PING"}) == "PONG");
}

TEST_CASE("redis over TLS: pipelines, large values and the subscriber", "[redis][tls]") {
  tls_redis tls;
  io_threads io(2);
  auto client = redis::client::create(io.context().get_executor(), tls.options());
  client->start();
  // Larger than one TLS record and the read buffer: replies arrive in pieces.
  const std::string large(300 * 1024, 'x');
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 50; ++i) {
    commands.push_back({"SET", "key" + std::to_string(i), large});
    commands.push_back({"STRLEN", "key" + std::to_string(i)});
  }
  const auto replies = io.run(client->pipeline(std::move(commands)));
  REQUIRE(replies.size() == 100);
  for (std::size_t i = 1; i < replies.size(); i += 2) {
    CHECK(replies[i].as_integer() == static_cast<long long>(large.size()));
  }

  std::mutex mutex;
  std::vector<std::string> heard;
  redis::subscriber::options settings{.connection = tls.options(), .channels = {"news"}};
  auto listener = redis::subscriber::create(
      io.context().get_executor(), settings,
      [&](std::string_view, std::string_view payload) {
        std::lock_guard lock(mutex);
        heard.emplace_back(payload);
      },
      nullptr);
  listener->start();
  REQUIRE(wait_until([&] { return listener->subscribed(); }, 10s));
  io.run(client->command("PUBLISH", "news", "over tls"));
  CHECK(wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return heard.size() == 1 && heard.front() == "over tls";
      },
      10s));
  listener->stop();
  client->stop();
}

TEST_CASE("redis ACL users: the user's password, and only its commands", "[redis][acl]") {
  redis_server server(
      redis_server_options{.arguments = {"--user", "default", "off", "--user", "queue", "on",
                                         ">queue-secret", "~*", "+@all", "-flushall", "-flushdb"}});
  auto options = quick(redis::parse_url(server.url()));
  options.username = "queue";
  options.password = "queue-secret";
  CHECK(try_command(options, {"SET", "a", "1"}) == "OK");
  // Commands outside the ACL are refused by Redis, with Redis's own words.
  CHECK_THAT(try_command(options, {"FLUSHALL"}), Catch::Contains("NOPERM"));

  auto wrong = options;
  wrong.password = "not-it";
  const auto refused = try_command(wrong, {"PING"});
  CHECK_THAT(refused, Catch::Contains("WRONGPASS"));
  CHECK_THAT(refused, !Catch::Contains("not-it"));

  // The default user is off: no credentials, no access.
  auto anonymous = options;
  anonymous.username.clear();
  anonymous.password.clear();
  CHECK_THAT(try_command(anonymous, {"PING"}), Catch::Contains("NOAUTH"));
}

TEST_CASE("redis ACL: the documented user refuses what the adapter does not need", "[redis][acl]") {
  temp_dir dir("gpt-adapter-redis-acl");
  const auto aclfile = gpt_adapter::testing::write_documented_acl(dir, acl_password);
  redis_server server(redis_server_options{.password = acl_password,
                                           .username = gpt_adapter::testing::documented_acl_user,
                                           .arguments = {"--aclfile", aclfile}});
  const auto options = quick(redis::parse_url(server.url()));
  CHECK(try_command(options, {"SET", "{gpt-adapter}:x", "1"}) == "OK");
  CHECK_THAT(try_command(options, {"SET", "elsewhere", "1"}), Catch::Contains("NOPERM"));
  CHECK_THAT(try_command(options, {"FLUSHALL"}), Catch::Contains("NOPERM"));
  CHECK_THAT(try_command(options, {"CONFIG", "GET", "dir"}), Catch::Contains("NOPERM"));
  CHECK_THAT(try_command(options, {"PUBLISH", "other-channel", "x"}), Catch::Contains("NOPERM"));
}

TEST_CASE(
    "redis behind Sentinel: finds the primary, follows a failover under load, loses no "
    "replicated write",
    "[redis][sentinel]") {
  gpt_adapter::testing::sentinel_group group;
  auto options = quick(redis::parse_url(group.url()));
  options.wait_replicas = 1;
  io_threads io(2);
  auto client = redis::client::create(io.context().get_executor(), options);
  client->start();
  const auto first = group.primary_port();
  CHECK(io.run(client->command("SET", "{gpt-adapter}:where", "first")).as_string() == "OK");

  // A steady writer, as the API enqueues: an entry counts as accepted once a replica has it too
  // (wait_for_replicas), which is what survives a failover with asynchronous replication.
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::mutex mutex;
  std::vector<std::string> accepted_ids;
  auto writer = [&]() -> boost::asio::awaitable<int> {
    for (int n = 0; !stop.load(); ++n) {
      try {
        auto append = flow_entry(n);
        const auto id = co_await client->command(std::move(append));
        co_await client->wait_for_replicas();
        std::lock_guard lock(mutex);
        accepted_ids.push_back(id.as_string());
        accepted.fetch_add(1);
      } catch (const redis::error&) {
        refused.fetch_add(1);
      }
    }
    co_return 0;
  };
  auto done = boost::asio::co_spawn(io.context(), writer(), boost::asio::use_future);
  REQUIRE(wait_until([&] { return accepted.load() >= 200; }, 20s));

  const auto second = group.fail_over();
  CHECK(second != first);
  const auto before = accepted.load();
  // Writes flow again, on the new primary, without a restart.
  REQUIRE(wait_until([&] { return accepted.load() >= before + 200; }, 30s));
  stop = true;
  REQUIRE(done.wait_for(30s) == std::future_status::ready);
  CHECK(client->reconnects() >= 1);
  CHECK(io.run(client->command("SET", "{gpt-adapter}:where", "second")).as_string() == "OK");

  // Every accepted entry is on the new primary.
  const auto entries =
      gpt_adapter::testing::redis_commands(second).run({"XRANGE", "{gpt-adapter}:flow", "-", "+"});
  std::set<std::string> present;
  for (const auto& entry : entries.as_array()) {
    present.insert(entry.elements.front().text);
  }
  std::size_t lost = 0;
  for (const auto& id : accepted_ids) {
    lost += present.contains(id) ? 0 : 1;
  }
  INFO("accepted " << accepted_ids.size() << ", refused or failed " << refused.load());
  CHECK(lost == 0);
  client->stop();
}

TEST_CASE("redis: with REDIS_WAIT_REPLICAS the API accepts a job only once a replica has it",
          "[redis][sentinel]") {
  // No replica answers here: the create is refused as unavailable, not accepted and then lost.
  gpt_adapter::testing::memory_stack stack(
      {{"REDIS_WAIT_REPLICAS", "1"}, {"REDIS_WAIT_TIMEOUT_MS", "1000"}}, false);
  const auto alice = stack.token(stack.alice);
  const auto refused =
      stack.post("/api/v1/memories", alice, R"({"content":"Alice keeps a diary"})");
  const auto problem = gpt_adapter::testing::check_problem(refused, 503);
  CHECK(problem.contains("request_id"));

  // With one replica in sync, the same create is accepted.
  redis_server replica(redis_server_options{
      .arguments = {"--replicaof", "127.0.0.1", std::to_string(stack.redis.port())}});
  REQUIRE(wait_until(
      [&] {
        const auto info =
            gpt_adapter::testing::redis_commands(replica.port()).run({"INFO", "replication"}).text;
        return info.find("master_link_status:up") != std::string::npos;
      },
      15s));
  CHECK(stack.post("/api/v1/memories", alice, R"({"content":"Alice keeps a diary"})").status ==
        202);
}

TEST_CASE(
    "redis: a write answered READONLY goes out again and succeeds once the server is a "
    "primary",
    "[redis][sentinel]") {
  redis_server primary;
  redis_server replica(redis_server_options{
      .arguments = {"--replicaof", "127.0.0.1", std::to_string(primary.port())}});
  auto options = quick(redis::parse_url(replica.url()));
  options.command_timeout = 10s;
  io_threads io(1);
  auto client = redis::client::create(io.context().get_executor(), options);
  client->start();
  auto write = boost::asio::co_spawn(io.context(), client->command("SET", "promoted", "yes"),
                                     boost::asio::use_future);
  // The replica refuses it (READONLY) until it is promoted, as Sentinel would.
  CHECK(write.wait_for(300ms) == std::future_status::timeout);
  CHECK(gpt_adapter::testing::redis_commands(replica.port())
            .run({"REPLICAOF", "NO", "ONE"})
            .as_string() == "OK");
  REQUIRE(write.wait_for(10s) == std::future_status::ready);
  CHECK(write.get().as_string() == "OK");
  CHECK(gpt_adapter::testing::redis_commands(replica.port()).run({"GET", "promoted"}).text ==
        "yes");
  client->stop();
}
