#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "common/redis/client.hpp"
#include "common/redis/url.hpp"
#include "tests/support/io_threads.hpp"
#include "tests/support/servers.hpp"

namespace {

namespace net = boost::asio;
namespace redis = gpt_adapter::redis;
using gpt_adapter::testing::free_port;
using gpt_adapter::testing::redis_server;
using gpt_adapter::testing::redis_server_options;
using gpt_adapter::testing::wait_until;
using namespace std::chrono_literals;
using namespace std::string_literals;
using clock_type = std::chrono::steady_clock;

using gpt_adapter::testing::io_threads;

redis::connection_options options_for(const redis_server& server) {
  auto options = redis::parse_url(server.url());
  options.reconnect_min_delay = 20ms;
  options.reconnect_max_delay = 200ms;
  return options;
}

// A started client on its own threads; stopped on destruction.
struct client_fixture {
  explicit client_fixture(redis::connection_options options, unsigned threads = 2)
      : io(threads),
        client(redis::client::create(io.context().get_executor(), std::move(options))) {
    client->start();
  }
  ~client_fixture() { client->stop(); }

  redis::reply command(std::vector<std::string> args) {
    return io.run(client->command(std::move(args)));
  }

  io_threads io;
  std::shared_ptr<redis::client> client;
};

std::string blocked_clients(client_fixture& observer) {
  const std::string info = observer.command({"INFO", "clients"}).as_string();
  const auto start = info.find("blocked_clients:");
  REQUIRE(start != std::string::npos);
  return info.substr(start + 16, info.find('\r', start) - start - 16);
}

template <typename Exception, typename Task>
std::pair<std::string, clock_type::duration> expect_failure(io_threads& io, Task task) {
  const auto started = clock_type::now();
  try {
    io.run(std::move(task));
  } catch (const Exception& e) {
    return {e.what(), clock_type::now() - started};
  }
  FAIL("the command did not throw the expected exception");
  return {};
}

}  // namespace

TEST_CASE("redis client: binary-safe SET and GET round trip", "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  const std::string key = "key\0with\r\nbytes"s;
  const std::string value = "\0\x01\xff value with NUL \0 and CRLF\r\n"s;
  REQUIRE(value.size() == 31);

  CHECK(redis.command({"SET", key, value}).as_string() == "OK");
  const auto got = redis.command({"GET", key});
  CHECK(got.type == redis::reply::kind::string);
  CHECK(got.as_string() == value);
  CHECK(redis.command({"STRLEN", key}).as_integer() == 31);
  CHECK(redis.client->connected());
}

TEST_CASE("redis client: nil, integer and array replies", "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));

  const auto missing = redis.command({"GET", "no-such-key"});
  CHECK(missing.is_nil());
  CHECK_THROWS_AS(missing.as_string(), redis::error);

  CHECK(redis.command({"INCRBY", "counter", "5"}).as_integer() == 5);
  CHECK(redis.command({"INCRBY", "counter", "-7"}).as_integer() == -2);

  CHECK(redis.command({"RPUSH", "list", "a", "", "c"}).as_integer() == 3);
  const auto range = redis.command({"LRANGE", "list", "0", "-1"});
  REQUIRE(range.type == redis::reply::kind::array);
  REQUIRE(range.as_array().size() == 3);
  CHECK(range.elements[0].as_string() == "a");
  CHECK(range.elements[1].as_string().empty());
  CHECK(range.elements[1].type == redis::reply::kind::string);
  CHECK(range.elements[2].as_string() == "c");

  const auto empty = redis.command({"LRANGE", "no-such-list", "0", "-1"});
  CHECK(empty.type == redis::reply::kind::array);
  CHECK(empty.elements.empty());

  CHECK(redis.command({"PING"}).type == redis::reply::kind::status);
  CHECK(redis.command({"PING"}).as_string() == "PONG");
}

TEST_CASE("redis client: error replies throw reply_error and keep the connection",
          "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));

  const auto [unknown, unused] =
      expect_failure<redis::reply_error>(redis.io, redis.client->command({"NO-SUCH-COMMAND", "x"}));
  CHECK(unknown.rfind("ERR", 0) == 0);

  redis.command({"SET", "text", "value"});
  try {
    redis.io.run(redis.client->command({"LPUSH", "text", "x"}));
    FAIL("LPUSH on a string did not throw");
  } catch (const redis::reply_error& e) {
    CHECK(e.code() == "WRONGTYPE");
  }

  redis.command({"XADD", "stream", "*", "field", "value"});
  redis.command({"XGROUP", "CREATE", "stream", "workers", "0"});
  const auto [busy, unused2] = expect_failure<redis::reply_error>(
      redis.io, redis.client->command({"XGROUP", "CREATE", "stream", "workers", "0"}));
  CHECK(busy.rfind("BUSYGROUP", 0) == 0);

  CHECK(redis.command({"GET", "text"}).as_string() == "value");
  CHECK(redis.client->connected());
  CHECK(redis.client->reconnects() == 0);
}

TEST_CASE("redis client: a pipeline of 1000 INCRs answers 1..1000 in order",
          "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));

  std::vector<std::vector<std::string>> commands(1000, {"INCR", "pipelined"});
  const auto replies = redis.io.run(redis.client->pipeline(std::move(commands)));
  REQUIRE(replies.size() == 1000);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    INFO(i);
    REQUIRE(replies[i].as_integer() == static_cast<long long>(i + 1));
  }
  CHECK(redis.command({"GET", "pipelined"}).as_string() == "1000");
  CHECK(redis.io.run(redis.client->pipeline({})).empty());
}

TEST_CASE("redis client: pipeline returns error replies inline", "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));

  const auto replies = redis.io.run(redis.client->pipeline(
      {{"SET", "a", "1"}, {"LPUSH", "a", "x"}, {"NO-SUCH-COMMAND"}, {"INCR", "a"}}));
  REQUIRE(replies.size() == 4);
  CHECK(replies[0].as_string() == "OK");
  CHECK(replies[1].is_error());
  CHECK(replies[1].text.rfind("WRONGTYPE", 0) == 0);
  CHECK(replies[2].is_error());
  CHECK_THROWS_AS(replies[2].throw_if_error(), redis::reply_error);
  CHECK(replies[3].as_integer() == 2);
}

// Calls of `command` ("eval" or "evalsha") in INFO commandstats, 0 before the first one.
long long command_calls(client_fixture& redis, std::string_view command) {
  const std::string stats = redis.command({"INFO", "commandstats"}).as_string();
  const std::string prefix = "cmdstat_" + std::string(command) + ":calls=";
  const auto start = stats.find(prefix);
  if (start == std::string::npos) {
    return 0;
  }
  return std::stoll(stats.substr(start + prefix.size()));
}

TEST_CASE("redis client: eval runs scripts by EVALSHA and survives SCRIPT FLUSH",
          "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  const redis::script append_script("return redis.call('APPEND', KEYS[1], ARGV[1])");
  auto eval = [&](std::string value) {
    return redis.io.run(redis.client->eval(append_script, {"text"}, {std::move(value)}));
  };

  // Redis has never seen the script: EVALSHA answers NOSCRIPT and one EVAL loads it.
  CHECK(eval("a").as_integer() == 1);
  CHECK(command_calls(redis, "evalsha") == 1);
  CHECK(command_calls(redis, "eval") == 1);

  // From then on the text is not sent again.
  CHECK(eval("b").as_integer() == 2);
  CHECK(eval("c").as_integer() == 3);
  CHECK(command_calls(redis, "evalsha") == 3);
  CHECK(command_calls(redis, "eval") == 1);

  // A flushed script cache (as after a restart) costs one more EVAL, not an error.
  redis.command({"SCRIPT", "FLUSH"});
  CHECK(eval("d").as_integer() == 4);
  CHECK(command_calls(redis, "evalsha") == 4);
  CHECK(command_calls(redis, "eval") == 2);
  CHECK(redis.command({"GET", "text"}).as_string() == "abcd");

  // A script's own error is thrown as it is, not retried.
  const redis::script failing("return redis.error_reply('WRONG the script failed')");
  try {
    redis.io.run(redis.client->eval(failing, {}, {}));
    FAIL("the failing script did not throw");
  } catch (const redis::reply_error& e) {
    CHECK(e.code() == "WRONG");
  }
  CHECK(command_calls(redis, "eval") == 3);
}

TEST_CASE("redis client: 200 concurrent coroutines on a 4-thread io_context",
          "[integration][redis]") {
  redis_server server;
  auto options = options_for(server);
  options.command_timeout = 20s;  // sanitizers on two cores: correctness, not speed, is tested
  client_fixture redis(options, 4);
  REQUIRE(wait_until([&] { return redis.client->connected(); }, 10s));

  constexpr int coroutines = 200;
  constexpr int rounds = 5;
  struct outcome {
    int succeeded = 0;
    bool resumed_on_own_strand = true;
  };
  auto worker = [](std::shared_ptr<redis::client> client, int id,
                   bool on_strand) -> net::awaitable<outcome> {
    const auto executor = co_await net::this_coro::executor;
    const auto* strand = executor.target<net::strand<net::io_context::executor_type>>();
    outcome result;
    for (int round = 0; round < rounds; ++round) {
      const std::string key = "key:" + std::to_string(id);
      const std::string value = std::to_string(id) + ":" + std::to_string(round);
      co_await client->command("SET", key, value);
      if (on_strand && (strand == nullptr || !strand->running_in_this_thread())) {
        result.resumed_on_own_strand = false;
      }
      const auto got = co_await client->command("GET", key);
      // Built outside the co_await: GCC 12 rejects braced lists inside one.
      std::vector<std::vector<std::string>> batch{{"INCR", "total"}, {"GET", key}};
      const auto incremented = co_await client->pipeline(std::move(batch));
      if (got.as_string() == value && incremented.at(1).as_string() == value) {
        ++result.succeeded;
      }
      if (on_strand && (strand == nullptr || !strand->running_in_this_thread())) {
        result.resumed_on_own_strand = false;
      }
    }
    co_return result;
  };

  std::vector<std::future<outcome>> futures;
  for (int id = 0; id < coroutines; ++id) {
    const bool on_strand = id % 2 == 0;
    if (on_strand) {
      futures.push_back(net::co_spawn(net::make_strand(redis.io.context()),
                                      worker(redis.client, id, true), net::use_future));
    } else {
      futures.push_back(
          net::co_spawn(redis.io.context(), worker(redis.client, id, false), net::use_future));
    }
  }
  int succeeded = 0;
  bool all_on_own_strand = true;
  for (auto& future : futures) {
    REQUIRE(future.wait_for(60s) == std::future_status::ready);
    const auto result = future.get();
    succeeded += result.succeeded;
    all_on_own_strand = all_on_own_strand && result.resumed_on_own_strand;
  }
  CHECK(succeeded == coroutines * rounds);
  CHECK(all_on_own_strand);
  CHECK(redis.command({"GET", "total"}).as_string() == std::to_string(coroutines * rounds));
  CHECK(redis.client->reconnects() == 0);
}

TEST_CASE("redis client: one connection per context, each caller's commands on its own",
          "[integration][redis]") {
  redis_server server;
  io_threads first(1);
  io_threads second(1);
  auto client =
      redis::client::create(std::vector<net::any_io_executor>{first.context().get_executor(),
                                                              second.context().get_executor()},
                            options_for(server));
  client->start();
  REQUIRE(wait_until([&] { return client->connected(); }, 10s));

  auto connection_id = [client]() -> net::awaitable<long long> {
    const auto answer = co_await client->command("CLIENT", "ID");
    co_return answer.as_integer();
  };
  const auto first_id = first.run(connection_id());
  const auto second_id = second.run(connection_id());
  CHECK(first.run(connection_id()) == first_id);
  CHECK(second.run(connection_id()) == second_id);
  CHECK(first_id != second_id);

  // A caller on neither context is served by the first one's connection.
  io_threads elsewhere(1);
  CHECK(elsewhere.run(connection_id()) == first_id);
  client->stop();
}

TEST_CASE("redis client: a command times out and the client recovers", "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  REQUIRE(redis.command({"PING"}).as_string() == "PONG");

  // BLPOP 0 blocks forever on the server: only the client's own timer can end it.
  const auto [message, elapsed] = expect_failure<redis::error>(
      redis.io, redis.client->command({"BLPOP", "empty-list", "0"}, 300ms));
  CHECK(message.find("timed out") != std::string::npos);
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < 2s);

  CHECK(redis.command({"SET", "after-timeout", "1"}).as_string() == "OK");
  CHECK(redis.command({"GET", "after-timeout"}).as_string() == "1");
}

TEST_CASE("redis client: a reply arriving after the timeout is ignored", "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  REQUIRE(redis.command({"PING"}).as_string() == "PONG");

  // The whole server sleeps: the reply (+OK) comes 500 ms later, after the caller gave up.
  const auto [message, elapsed] = expect_failure<redis::error>(
      redis.io, redis.client->command({"DEBUG", "SLEEP", "0.5"}, 100ms));
  CHECK(message.find("timed out") != std::string::npos);
  CHECK(elapsed < 450ms);

  const auto replies =
      redis.io.run(redis.client->pipeline({{"SET", "late", "x"}, {"GET", "late"}}, 5s));
  REQUIRE(replies.size() == 2);
  CHECK(replies[1].as_string() == "x");
}

TEST_CASE("redis client: SELECTs the database from the options", "[integration][redis]") {
  redis_server server;
  auto options = options_for(server);
  options.database = 3;
  client_fixture db3(options);
  client_fixture db0(options_for(server));

  db3.command({"SET", "where", "three"});
  CHECK(db3.command({"GET", "where"}).as_string() == "three");
  CHECK(db0.command({"GET", "where"}).is_nil());
  CHECK(db0.command({"SELECT", "3"}).as_string() == "OK");
  CHECK(db0.command({"GET", "where"}).as_string() == "three");
}

TEST_CASE("redis client: reconnects after the server restarts", "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  REQUIRE(redis.command({"SET", "survives", "yes"}).as_string() == "OK");
  REQUIRE(redis.client->reconnects() == 0);

  for (const bool crash : {false, true}) {
    INFO((crash ? "after SIGKILL" : "after a clean stop"));
    const auto reconnects_before = redis.client->reconnects();
    if (crash) {
      server.kill();
    } else {
      server.stop();
    }
    const auto [message, elapsed] =
        expect_failure<redis::error>(redis.io, redis.client->command({"GET", "survives"}, 300ms));
    CHECK(elapsed < 2s);
    REQUIRE(wait_until([&] { return !redis.client->connected(); }, 5s));
    const auto [waiting, waited] =
        expect_failure<redis::error>(redis.io, redis.client->command({"GET", "survives"}, 200ms));
    CHECK(waiting.find("waiting for a connection") != std::string::npos);
    CHECK(waited < 2s);

    server.start();
    REQUIRE(wait_until([&] { return redis.client->connected(); }, 10s));
    CHECK(redis.client->reconnects() == reconnects_before + 1);
    CHECK(redis.command({"GET", "survives"}).as_string() == "yes");
  }
}

TEST_CASE("redis client: a command issued while disconnected waits for the reconnect",
          "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  REQUIRE(redis.command({"PING"}).as_string() == "PONG");
  server.stop();
  REQUIRE(wait_until([&] { return !redis.client->connected(); }, 5s));

  auto pending = net::co_spawn(redis.io.context(), redis.client->command({"INCR", "waited"}, 20s),
                               net::use_future);
  CHECK(pending.wait_for(50ms) == std::future_status::timeout);
  server.start();
  REQUIRE(pending.wait_for(20s) == std::future_status::ready);
  CHECK(pending.get().as_integer() == 1);
}

TEST_CASE("redis client: AUTH with a password, a user name, and wrong credentials",
          "[integration][redis]") {
  redis_server server(redis_server_options{.password = "s3cret-pass"});

  client_fixture authenticated(options_for(server));
  CHECK(authenticated.command({"PING"}).as_string() == "PONG");
  CHECK(authenticated.command({"ACL", "WHOAMI"}).as_string() == "default");
  authenticated.command({"ACL", "SETUSER", "worker", "on", ">worker-pass", "~*", "&*", "+@all"});

  auto user_options = options_for(server);
  user_options.username = "worker";
  user_options.password = "worker-pass";
  client_fixture as_user(user_options);
  CHECK(as_user.command({"ACL", "WHOAMI"}).as_string() == "worker");

  auto wrong_options = options_for(server);
  wrong_options.password = "not-the-password";
  client_fixture wrong(wrong_options);
  const auto [wrong_message, unused] =
      expect_failure<redis::error>(wrong.io, wrong.client->command({"PING"}, 500ms));
  CHECK(wrong_message.find("WRONGPASS") != std::string::npos);
  CHECK(wrong_message.find("not-the-password") == std::string::npos);
  CHECK_FALSE(wrong.client->connected());

  auto missing_options = options_for(server);
  missing_options.password.clear();
  client_fixture missing(missing_options);
  const auto [missing_message, unused2] =
      expect_failure<redis::error>(missing.io, missing.client->command({"PING"}, 500ms));
  CHECK(missing_message.find("NOAUTH") != std::string::npos);
  CHECK_FALSE(missing.client->connected());

  CHECK(authenticated.command({"PING"}).as_string() == "PONG");
}

TEST_CASE("redis client: connect timeout against a server that never answers",
          "[integration][redis]") {
  // The kernel completes the TCP handshake from the listen backlog; nothing ever replies.
  net::io_context silent_context;
  net::ip::tcp::acceptor silent(silent_context, {net::ip::make_address("127.0.0.1"), 0});
  redis::connection_options options;
  options.port = silent.local_endpoint().port();
  options.connect_timeout = 200ms;
  options.reconnect_min_delay = 20ms;
  options.reconnect_max_delay = 100ms;
  client_fixture redis(options);

  const auto [message, elapsed] =
      expect_failure<redis::error>(redis.io, redis.client->command({"PING"}, 1s));
  CHECK(message.find("timed out after 200 ms") != std::string::npos);
  CHECK(elapsed < 3s);
  CHECK_FALSE(redis.client->connected());
}

TEST_CASE("redis client: stop() fails pending commands and releases its work",
          "[integration][redis]") {
  redis_server server;
  client_fixture observer(options_for(server));
  auto io = std::make_unique<io_threads>(2);
  auto client = redis::client::create(io->context().get_executor(), options_for(server));
  client->start();

  auto blocked = net::co_spawn(io->context(), client->command({"BLPOP", "nothing", "0"}, 60s),
                               net::use_future);
  REQUIRE(wait_until([&] { return blocked_clients(observer) == "1"; }, 10s));

  const auto stopped_at = clock_type::now();
  client->stop();
  client->stop();  // idempotent
  REQUIRE(blocked.wait_for(10s) == std::future_status::ready);
  CHECK(clock_type::now() - stopped_at < 5s);
  CHECK_THROWS_AS(blocked.get(), redis::error);
  CHECK_FALSE(client->connected());
  const auto [message, unused] = expect_failure<redis::error>(*io, client->command({"PING"}));
  CHECK(message.find("stopped") != std::string::npos);
  CHECK(wait_until([&] { return blocked_clients(observer) == "0"; }, 10s));

  client.reset();
  CHECK(io->drained(10s));
}

TEST_CASE("redis client: stop() fails commands waiting for a connection", "[integration][redis]") {
  redis::connection_options options;
  options.port = free_port();  // nothing listens there
  options.reconnect_min_delay = 20ms;
  options.reconnect_max_delay = 100ms;
  io_threads io(2);
  auto client = redis::client::create(io.context().get_executor(), options);
  client->start();

  auto waiting = net::co_spawn(io.context(), client->command({"PING"}, 60s), net::use_future);
  CHECK(waiting.wait_for(100ms) == std::future_status::timeout);
  client->stop();
  REQUIRE(waiting.wait_for(10s) == std::future_status::ready);
  try {
    waiting.get();
    FAIL("PING did not fail");
  } catch (const redis::error& e) {
    CHECK(std::string(e.what()).find("stopped") != std::string::npos);
  }
  client.reset();
  CHECK(io.drained(10s));
}

TEST_CASE("redis client: rejects empty commands and non-positive timeouts",
          "[integration][redis]") {
  redis_server server;
  client_fixture redis(options_for(server));
  CHECK_THROWS_AS(redis.io.run(redis.client->command({})), std::invalid_argument);
  CHECK_THROWS_AS(redis.io.run(redis.client->command({"PING"}, 0ms)), std::invalid_argument);
  CHECK_THROWS_AS(redis.io.run(redis.client->pipeline({{"PING"}, {}})), std::invalid_argument);
  CHECK(redis.command({"PING"}).as_string() == "PONG");
}
