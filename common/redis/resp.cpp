#include "common/redis/resp.hpp"

#include <new>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

namespace gpt_adapter::redis {

void append_command(std::string& out, const std::vector<std::string>& args) {
  // Appends only: GCC 12 reports a false -Wrestrict at -O2 for `"*" + std::to_string(...)`.
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& arg : args) {
    out.append("$").append(std::to_string(arg.size())).append("\r\n").append(arg).append("\r\n");
  }
}

std::string encode_command(const std::vector<std::string>& args) {
  std::string out;
  append_command(out, args);
  return out;
}

reply_reader::reply_reader() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr) {
    throw std::bad_alloc();
  }
}

reply_reader::~reply_reader() {
  redisReaderFree(reader_);
}

void reply_reader::feed(const char* data, std::size_t size) {
  if (redisReaderFeed(reader_, data, size) != REDIS_OK) {
    throw error("redis reader out of memory");
  }
}

std::optional<reply> reply_reader::next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    throw error(std::string("redis protocol error: ") + reader_->errstr);
  }
  if (raw == nullptr) {
    return std::nullopt;
  }
  auto* parsed = static_cast<redisReply*>(raw);
  auto copy = reply::from_hiredis(*parsed);
  freeReplyObject(parsed);
  return copy;
}

}  // namespace gpt_adapter::redis
