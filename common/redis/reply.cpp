#include "common/redis/reply.hpp"

#include <hiredis/hiredis.h>

namespace gpt_adapter::redis {
namespace {

[[noreturn]] void wrong_kind(reply::kind actual, std::string_view expected) {
  throw error("redis reply is " + std::string(to_string(actual)) + ", expected " +
              std::string(expected));
}

}  // namespace

std::string_view reply_error::code() const {
  const std::string_view text = what();
  return text.substr(0, text.find(' '));
}

const std::string& reply::as_string() const {
  if (type != kind::string && type != kind::status) {
    wrong_kind(type, "a string");
  }
  return text;
}

long long reply::as_integer() const {
  if (type != kind::integer) {
    wrong_kind(type, "an integer");
  }
  return integer;
}

const std::vector<reply>& reply::as_array() const {
  if (type != kind::array) {
    wrong_kind(type, "an array");
  }
  return elements;
}

void reply::throw_if_error() const {
  if (type == kind::error) {
    throw reply_error(text);
  }
}

reply reply::from_hiredis(const redisReply& source) {
  reply result;
  switch (source.type) {
    case REDIS_REPLY_STATUS:
      result.type = kind::status;
      result.text.assign(source.str, source.len);
      break;
    case REDIS_REPLY_ERROR:
      result.type = kind::error;
      result.text.assign(source.str, source.len);
      break;
    case REDIS_REPLY_STRING:
      result.type = kind::string;
      result.text.assign(source.str, source.len);
      break;
    case REDIS_REPLY_INTEGER:
      result.type = kind::integer;
      result.integer = source.integer;
      break;
    case REDIS_REPLY_ARRAY:
      result.type = kind::array;
      result.elements.reserve(source.elements);
      for (std::size_t i = 0; i < source.elements; ++i) {
        result.elements.push_back(from_hiredis(*source.element[i]));
      }
      break;
    default:
      result.type = kind::nil;
      break;
  }
  return result;
}

std::string_view to_string(reply::kind type) {
  switch (type) {
    case reply::kind::nil:
      return "nil";
    case reply::kind::status:
      return "status";
    case reply::kind::error:
      return "error";
    case reply::kind::integer:
      return "integer";
    case reply::kind::string:
      return "string";
    case reply::kind::array:
      return "array";
  }
  return "unknown";
}

}  // namespace gpt_adapter::redis
