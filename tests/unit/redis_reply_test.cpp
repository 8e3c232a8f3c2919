#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <hiredis/hiredis.h>

#include "common/redis/reply.hpp"

using gpt_adapter::redis::reply;

namespace {

redisReply text_reply(int type, std::string& text) {
  redisReply raw{};
  raw.type = type;
  raw.str = text.data();
  raw.len = text.size();
  return raw;
}

}  // namespace

TEST_CASE("redis reply: copies strings byte for byte, NULs included", "[redis][reply]") {
  std::string bytes("a\0b\r\n", 5);
  const auto copied = reply::from_hiredis(text_reply(REDIS_REPLY_STRING, bytes));
  CHECK(copied.type == reply::kind::string);
  CHECK(copied.as_string() == bytes);
  CHECK(copied.as_string().size() == 5);
}

TEST_CASE("redis reply: maps status, error, integer and nil", "[redis][reply]") {
  std::string ok = "OK";
  const auto status = reply::from_hiredis(text_reply(REDIS_REPLY_STATUS, ok));
  CHECK(status.type == reply::kind::status);
  CHECK(status.as_string() == "OK");
  CHECK_NOTHROW(status.throw_if_error());

  std::string busy = "BUSYGROUP Consumer Group name already exists";
  const auto failed = reply::from_hiredis(text_reply(REDIS_REPLY_ERROR, busy));
  CHECK(failed.is_error());
  CHECK(failed.text == busy);
  try {
    failed.throw_if_error();
    FAIL("no exception");
  } catch (const gpt_adapter::redis::reply_error& e) {
    CHECK(std::string(e.what()) == busy);
    CHECK(e.code() == "BUSYGROUP");
  }

  redisReply number{};
  number.type = REDIS_REPLY_INTEGER;
  number.integer = -42;
  CHECK(reply::from_hiredis(number).as_integer() == -42);

  redisReply nil{};
  nil.type = REDIS_REPLY_NIL;
  CHECK(reply::from_hiredis(nil).is_nil());
}

TEST_CASE("redis reply: copies nested arrays", "[redis][reply]") {
  std::string id = "1-0";
  std::string field = "payload";
  redisReply id_reply = text_reply(REDIS_REPLY_STRING, id);
  redisReply field_reply = text_reply(REDIS_REPLY_STRING, field);
  redisReply nil{};
  nil.type = REDIS_REPLY_NIL;
  std::vector<redisReply*> inner_elements = {&field_reply, &nil};
  redisReply inner{};
  inner.type = REDIS_REPLY_ARRAY;
  inner.elements = inner_elements.size();
  inner.element = inner_elements.data();
  std::vector<redisReply*> outer_elements = {&id_reply, &inner};
  redisReply outer{};
  outer.type = REDIS_REPLY_ARRAY;
  outer.elements = outer_elements.size();
  outer.element = outer_elements.data();

  const auto copied = reply::from_hiredis(outer);
  REQUIRE(copied.as_array().size() == 2);
  CHECK(copied.elements[0].as_string() == "1-0");
  REQUIRE(copied.elements[1].as_array().size() == 2);
  CHECK(copied.elements[1].elements[0].as_string() == "payload");
  CHECK(copied.elements[1].elements[1].is_nil());

  redisReply empty{};
  empty.type = REDIS_REPLY_ARRAY;
  CHECK(reply::from_hiredis(empty).as_array().empty());
}

TEST_CASE("redis reply: accessors reject the wrong kind", "[redis][reply]") {
  redisReply number{};
  number.type = REDIS_REPLY_INTEGER;
  const auto integer = reply::from_hiredis(number);
  CHECK_THROWS_AS(integer.as_string(), gpt_adapter::redis::error);
  CHECK_THROWS_AS(integer.as_array(), gpt_adapter::redis::error);
  CHECK_THROWS_WITH(integer.as_string(), Catch::Contains("integer"));

  const reply nil;
  CHECK_THROWS_AS(nil.as_integer(), gpt_adapter::redis::error);
  CHECK_THROWS_WITH(nil.as_integer(), Catch::Contains("nil"));
}
