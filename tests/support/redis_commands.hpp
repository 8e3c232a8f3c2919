#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/redis/reply.hpp"

struct redisContext;

namespace gpt_adapter::testing {

// A blocking hiredis connection for a test's own view of Redis: it sets up and inspects what
// the code under test reads and writes, without depending on that code's client.
class redis_commands {
 public:
  explicit redis_commands(unsigned short port);
  ~redis_commands();
  redis_commands(const redis_commands&) = delete;
  redis_commands& operator=(const redis_commands&) = delete;

  // One command; error replies are returned as replies of kind error. Throws
  // std::runtime_error when the connection fails.
  redis::reply run(const std::vector<std::string>& args);
  // XADD key * fields...; returns the new id.
  std::string xadd(const std::string& key,
                   const std::vector<std::pair<std::string, std::string>>& fields);

 private:
  redisContext* context_;
};

}  // namespace gpt_adapter::testing
