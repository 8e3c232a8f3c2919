#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/redis/reply.hpp"

struct redisReader;

namespace gpt_adapter::redis {

// Appends one command in RESP (an array of bulk strings, binary-safe) to `out`.
void append_command(std::string& out, const std::vector<std::string>& args);
std::string encode_command(const std::vector<std::string>& args);

// Replies parsed from a byte stream by hiredis's protocol reader: feed what arrives, take the
// complete replies out in order.
class reply_reader {
 public:
  reply_reader();
  ~reply_reader();
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  void feed(const char* data, std::size_t size);
  // The next complete reply, or nullopt when more bytes are needed. Throws error on a protocol
  // error: the stream cannot be read any further.
  std::optional<reply> next();

 private:
  redisReader* reader_;
};

}  // namespace gpt_adapter::redis
