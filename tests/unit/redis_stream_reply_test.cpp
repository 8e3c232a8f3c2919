#include <catch2/catch.hpp>

#include "common/redis/stream_reply.hpp"

using namespace gpt_adapter::redis;

namespace {

reply text(std::string value) {
  return reply{.type = reply::kind::string, .text = std::move(value)};
}
reply nil() {
  return reply{};
}
reply integer(long long value) {
  return reply{.type = reply::kind::integer, .integer = value};
}
reply array(std::vector<reply> elements) {
  return reply{.type = reply::kind::array, .elements = std::move(elements)};
}
reply entry(std::string id, std::vector<std::string> flat) {
  std::vector<reply> fields;
  for (auto& value : flat) {
    fields.push_back(text(std::move(value)));
  }
  return array({text(std::move(id)), array(std::move(fields))});
}

}  // namespace

TEST_CASE("redis stream replies: XREADGROUP entries with their fields in order", "[redis]") {
  const auto answer = array(
      {array({text("s"), array({entry("1-1", {"a", "x", "b", "y"}), entry("2-0", {"a", "z"})})})});
  const auto entries = parse_read(answer);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].id == "1-1");
  CHECK(entries[0].fields == field_list{{"a", "x"}, {"b", "y"}});
  CHECK_FALSE(entries[0].deleted);
  CHECK(entries[1].fields == field_list{{"a", "z"}});
}

TEST_CASE("redis stream replies: nothing read within BLOCK is nil", "[redis]") {
  CHECK(parse_read(nil()).empty());
}

TEST_CASE("redis stream replies: a pending entry deleted from the stream keeps its id", "[redis]") {
  const auto answer = array({array({text("s"), array({array({text("5-0"), nil()})})})});
  const auto entries = parse_read(answer);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].id == "5-0");
  CHECK(entries[0].deleted);
}

TEST_CASE("redis stream replies: malformed replies are errors, not guesses", "[redis]") {
  CHECK_THROWS_AS(parse_read(text("OK")), error);
  CHECK_THROWS_AS(parse_entries(array({entry("1-0", {"odd"})})), error);
  CHECK_THROWS_AS(parse_entries(array({array({text("1-0")})})), error);
}

TEST_CASE("redis stream replies: XAUTOCLAIM cursor, entries and deleted ids", "[redis]") {
  const auto seven = parse_autoclaim(
      array({text("0-0"), array({entry("3-0", {"k", "v"})}), array({text("2-0")})}));
  CHECK(seven.next_cursor == "0-0");
  REQUIRE(seven.entries.size() == 1);
  CHECK(seven.entries[0].id == "3-0");
  CHECK(seven.deleted_ids == std::vector<std::string>{"2-0"});

  const auto six =
      parse_autoclaim(array({text("9-0"), array({array({text("4-0"), nil()}), entry("5-0", {})})}));
  CHECK(six.next_cursor == "9-0");
  REQUIRE(six.entries.size() == 1);
  CHECK(six.entries[0].id == "5-0");
  CHECK(six.deleted_ids == std::vector<std::string>{"4-0"});
}

TEST_CASE("redis stream replies: XINFO maps keep strings, integers and nil", "[redis]") {
  const auto values =
      parse_info_map(array({text("name"), text("workers"), text("pending"), integer(3), text("lag"),
                            nil(), text("nested"), array({})}));
  REQUIRE(values.size() == 3);
  CHECK(values[0].first == "name");
  CHECK(values[0].second.text == "workers");
  CHECK(values[1].second.integer == 3);
  CHECK(values[2].first == "lag");
  CHECK(values[2].second.nil);
}

TEST_CASE("redis stream replies: the time part of a stream id", "[redis]") {
  CHECK(stream_id_milliseconds("1700000000000-3") == 1700000000000);
  CHECK(stream_id_milliseconds("42") == 42);
  CHECK_FALSE(stream_id_milliseconds("abc-1"));
  CHECK_FALSE(stream_id_milliseconds("1-x"));
  CHECK_FALSE(stream_id_milliseconds(""));
}

TEST_CASE("redis stream replies: XPENDING's delivery count of an entry", "[redis]") {
  CHECK(parse_pending_deliveries(
            array({array({text("5-0"), text("worker-1"), integer(1500), integer(7)})})) == 7);
  CHECK_FALSE(parse_pending_deliveries(array({})).has_value());
  CHECK_THROWS_AS(parse_pending_deliveries(array({array({text("5-0"), integer(7)})})), error);
}
