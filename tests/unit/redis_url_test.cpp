#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "common/redis/url.hpp"

using gpt_adapter::redis::parse_url;

TEST_CASE("redis url: reads host, port and database", "[redis][url]") {
  const auto options = parse_url("redis://cache.internal:6380/3");
  CHECK(options.host == "cache.internal");
  CHECK(options.port == 6380);
  CHECK(options.database == 3);
  CHECK(options.username.empty());
  CHECK(options.password.empty());
}

TEST_CASE("redis url: defaults the port to 6379 and the database to 0", "[redis][url]") {
  for (const char* url : {"redis://localhost", "redis://localhost/", "REDIS://localhost"}) {
    INFO(url);
    const auto options = parse_url(url);
    CHECK(options.host == "localhost");
    CHECK(options.port == 6379);
    CHECK(options.database == 0);
  }
  CHECK(parse_url("redis://localhost/7").port == 6379);
  CHECK(parse_url("redis://localhost:1234").database == 0);
}

TEST_CASE("redis url: keeps the default time limits", "[redis][url]") {
  const auto options = parse_url("redis://localhost");
  const gpt_adapter::redis::connection_options defaults;
  CHECK(options.connect_timeout == defaults.connect_timeout);
  CHECK(options.command_timeout == defaults.command_timeout);
  CHECK(options.reconnect_min_delay == defaults.reconnect_min_delay);
  CHECK(options.reconnect_max_delay == defaults.reconnect_max_delay);
}

TEST_CASE("redis url: reads a password alone or with a user name", "[redis][url]") {
  const auto password_only = parse_url("redis://:s3cret@localhost:6379/0");
  CHECK(password_only.username.empty());
  CHECK(password_only.password == "s3cret");
  CHECK(password_only.host == "localhost");

  const auto with_user = parse_url("redis://worker:s3cret@10.0.0.5:7000/2");
  CHECK(with_user.username == "worker");
  CHECK(with_user.password == "s3cret");
  CHECK(with_user.host == "10.0.0.5");
  CHECK(with_user.port == 7000);
  CHECK(with_user.database == 2);
}

TEST_CASE("redis url: percent-decodes user name and password", "[redis][url]") {
  const auto options = parse_url("redis://us%65r:p%40ss%3Aw%2Frd%25@host");
  CHECK(options.username == "user");
  CHECK(options.password == "p@ss:w/rd%");
  CHECK(options.host == "host");
}

TEST_CASE("redis url: tolerates a raw '@' or '/' in the password", "[redis][url]") {
  const auto options = parse_url("redis://:p@ss/word@host:6390/1");
  CHECK(options.password == "p@ss/word");
  CHECK(options.host == "host");
  CHECK(options.port == 6390);
  CHECK(options.database == 1);
}

TEST_CASE("redis url: accepts a bracketed IPv6 host", "[redis][url]") {
  const auto options = parse_url("redis://[::1]:6390/4");
  CHECK(options.host == "::1");
  CHECK(options.port == 6390);
  CHECK(options.database == 4);
  CHECK(parse_url("redis://[fe80::1]").port == 6379);
}

TEST_CASE("redis url: rejects malformed URLs", "[redis][url]") {
  for (const char* url : {
           "",
           "localhost:6379",
           "http://localhost",
           "redis://host#fragment",
           "redis-sentinel://host:26379",
           "redis-sentinel://host:26379#",
           "redis-sentinel://a:26379,,b#mymaster",
           "redis-sentinel://a:0#mymaster",
           "redis-sentinel://#mymaster",
           "unix:///tmp/redis.sock",
           "redis://",
           "redis://:6379",
           "redis://host:",
           "redis://host:0",
           "redis://host:65536",
           "redis://host:port",
           "redis://host:-1",
           "redis://host:63 79",
           "redis://host/db",
           "redis://host/-1",
           "redis://host/1/2",
           "redis://host/99999999999",
           "redis://host?timeout=5",
           "redis://user@host",
           "redis://user:@host",
           "redis://:bad%zzescape@host",
           "redis://:truncated%4@host",
           "redis://[::1",
           "redis://[::1]x",
       }) {
    INFO(url);
    CHECK_THROWS_AS(parse_url(url), std::invalid_argument);
  }
}

TEST_CASE("redis url: errors name the problem and never the password", "[redis][url]") {
  try {
    parse_url("redis://:hunter2@host:99999");
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    CHECK(message.find("port") != std::string::npos);
    CHECK(message.find("hunter2") == std::string::npos);
  }
  CHECK_THROWS_WITH(parse_url("http://host"), Catch::Contains("redis://"));
  CHECK_THROWS_WITH(parse_url("redis://host/x"), Catch::Contains("database"));
}

TEST_CASE("redis url: rediss:// is TLS, verified against the host", "[redis][url]") {
  const auto options = parse_url("rediss://app:pw@cache.example.net:6380/2");
  REQUIRE(options.tls.has_value());
  CHECK(options.tls->server_name.empty());
  CHECK_FALSE(options.tls->files.ca_file.has_value());
  CHECK(options.host == "cache.example.net");
  CHECK(options.port == 6380);
  CHECK(options.username == "app");
  CHECK(options.database == 2);
  CHECK_FALSE(parse_url("redis://cache.example.net").tls.has_value());
  CHECK(parse_url("REDISS://h").tls.has_value());
}

TEST_CASE("redis url: redis-sentinel:// names the sentinels and the master", "[redis][url]") {
  const auto options = parse_url("redis-sentinel://app:pw@s1:26380,[::1],s3:5000/3#queue-primary");
  REQUIRE(options.sentinel.has_value());
  CHECK_FALSE(options.tls.has_value());
  CHECK(options.sentinel->master_name == "queue-primary");
  REQUIRE(options.sentinel->sentinels.size() == 3);
  CHECK(options.sentinel->sentinels[0].host == "s1");
  CHECK(options.sentinel->sentinels[0].port == 26380);
  CHECK(options.sentinel->sentinels[1].host == "::1");
  CHECK(options.sentinel->sentinels[1].port == 26379);
  CHECK(options.sentinel->sentinels[2].port == 5000);
  // The credentials and the database are the data servers'.
  CHECK(options.username == "app");
  CHECK(options.password == "pw");
  CHECK(options.database == 3);
  CHECK(options.sentinel->password.empty());
  CHECK(gpt_adapter::redis::describe(options) == "sentinel master queue-primary");

  const auto secure = parse_url("rediss-sentinel://:p%23w@s1#m");
  CHECK(secure.tls.has_value());
  CHECK(secure.password == "p#w");
  CHECK(secure.sentinel->master_name == "m");
}
