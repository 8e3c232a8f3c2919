#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/redis/client.hpp"
#include "common/redis/subscriber.hpp"
#include "common/redis/url.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/servers.hpp"

namespace {

namespace redis = gpt_adapter::redis;
using gpt_adapter::testing::io_threads;
using gpt_adapter::testing::redis_server;
using gpt_adapter::testing::redis_server_options;
using gpt_adapter::testing::wait_until;
using namespace std::chrono_literals;

// What a subscriber has seen, readable from the test thread.
struct inbox {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> messages;
  std::atomic<int> subscriptions{0};

  std::size_t size() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  std::pair<std::string, std::string> at(std::size_t index) {
    std::lock_guard lock(mutex);
    return messages.at(index);
  }
};

struct subscription_fixture {
  subscription_fixture(const redis_server& server, std::vector<std::string> channels,
                       std::chrono::milliseconds ping_interval = 10s)
      : io(2), publisher(redis::client::create(io.context().get_executor(), options_for(server))) {
    publisher->start();
    redis::subscriber::options settings{.connection = options_for(server),
                                        .channels = std::move(channels),
                                        .ping_interval = ping_interval};
    listener = redis::subscriber::create(
        io.context().get_executor(), settings,
        [this](std::string_view channel, std::string_view payload) {
          std::lock_guard lock(seen.mutex);
          seen.messages.emplace_back(channel, payload);
        },
        [this] { seen.subscriptions.fetch_add(1); });
    listener->start();
  }
  ~subscription_fixture() {
    listener->stop();
    publisher->stop();
  }

  static redis::connection_options options_for(const redis_server& server) {
    auto options = redis::parse_url(server.url());
    options.reconnect_min_delay = 20ms;
    options.reconnect_max_delay = 200ms;
    options.command_timeout = 1s;
    return options;
  }

  long long publish(const std::string& channel, const std::string& payload) {
    return io.run(publisher->command("PUBLISH", channel, payload)).as_integer();
  }

  inbox seen;
  io_threads io;
  std::shared_ptr<redis::client> publisher;
  std::shared_ptr<redis::subscriber> listener;
};

}  // namespace

TEST_CASE("a subscriber receives what is published on its channels, and only that",
          "[integration][redis]") {
  redis_server server;
  subscription_fixture fixture(server, {"{t}:one", "{t}:two"});
  REQUIRE(wait_until([&] { return fixture.listener->subscribed(); }, 10s));
  CHECK(fixture.seen.subscriptions.load() == 1);

  CHECK(fixture.publish("{t}:one", "first") == 1);
  CHECK(fixture.publish("{t}:other", "ignored") == 0);
  CHECK(fixture.publish("{t}:two", std::string("binary\0payload", 14)) == 1);
  REQUIRE(wait_until([&] { return fixture.seen.size() == 2; }, 10s));
  CHECK(fixture.seen.at(0) == std::pair<std::string, std::string>{"{t}:one", "first"});
  CHECK(fixture.seen.at(1) ==
        std::pair<std::string, std::string>{"{t}:two", std::string("binary\0payload", 14)});
}

TEST_CASE("a subscriber authenticates when the server requires a password",
          "[integration][redis]") {
  redis_server server(redis_server_options{.password = "sub-secret"});
  subscription_fixture fixture(server, {"{t}:auth"});
  REQUIRE(wait_until([&] { return fixture.listener->subscribed(); }, 10s));
  CHECK(fixture.publish("{t}:auth", "hello") == 1);
  REQUIRE(wait_until([&] { return fixture.seen.size() == 1; }, 10s));
}

TEST_CASE("a subscriber resubscribes after the server restarts and says so",
          "[integration][redis]") {
  redis_server server;
  subscription_fixture fixture(server, {"{t}:restart"});
  REQUIRE(wait_until([&] { return fixture.listener->subscribed(); }, 10s));

  server.kill();
  REQUIRE(wait_until([&] { return !fixture.listener->subscribed(); }, 10s));
  server.start();
  REQUIRE(wait_until([&] { return fixture.seen.subscriptions.load() == 2; }, 15s));
  CHECK(wait_until([&] { return fixture.listener->subscribed(); }, 5s));
  CHECK(fixture.listener->resubscriptions() == 1);

  REQUIRE(wait_until([&] { return fixture.publish("{t}:restart", "after") == 1; }, 10s));
  REQUIRE(wait_until([&] { return fixture.seen.size() == 1; }, 10s));
  CHECK(fixture.seen.at(0).second == "after");
}

TEST_CASE("a subscriber replaces a connection the server closed", "[integration][redis]") {
  redis_server server;
  subscription_fixture fixture(server, {"{t}:closed"});
  REQUIRE(wait_until([&] { return fixture.listener->subscribed(); }, 10s));

  fixture.io.run(fixture.publisher->command("CLIENT", "KILL", "TYPE", "pubsub"));
  REQUIRE(wait_until([&] { return fixture.seen.subscriptions.load() == 2; }, 10s));
  REQUIRE(wait_until([&] { return fixture.publish("{t}:closed", "back") == 1; }, 10s));
  REQUIRE(wait_until([&] { return fixture.seen.size() == 1; }, 10s));
}

TEST_CASE("a subscriber whose PING goes unanswered reconnects", "[integration][redis]") {
  redis_server server;
  subscription_fixture fixture(server, {"{t}:silent"}, 100ms);
  REQUIRE(wait_until([&] { return fixture.listener->subscribed(); }, 10s));

  // The connection stays open but the server answers nothing for 3 s, longer than the
  // subscriber's 1 s command timeout: only its PING can tell the connection is no good.
  std::vector<std::string> sleep{"DEBUG", "SLEEP", "3"};
  fixture.io.run(fixture.publisher->command(std::move(sleep), 10s));
  REQUIRE(wait_until([&] { return fixture.seen.subscriptions.load() >= 2; }, 10s));
  REQUIRE(wait_until([&] { return fixture.publish("{t}:silent", "back") == 1; }, 10s));
  REQUIRE(wait_until([&] { return fixture.seen.size() == 1; }, 10s));
}

TEST_CASE("a stopped subscriber lets its io_context run out of work", "[integration][redis]") {
  redis_server server;
  auto fixture = std::make_unique<subscription_fixture>(server, std::vector<std::string>{"{t}:x"});
  REQUIRE(wait_until([&] { return fixture->listener->subscribed(); }, 10s));
  fixture->listener->stop();
  fixture->publisher->stop();
  CHECK(fixture->io.drained(5s));
  CHECK_FALSE(fixture->listener->subscribed());
}
