#include "tests/support/redis_commands.hpp"

#include <stdexcept>

#include <hiredis/hiredis.h>

namespace gpt_adapter::testing {

redis_commands::redis_commands(unsigned short port) : context_(redisConnect("127.0.0.1", port)) {
  if (context_ == nullptr || context_->err != 0) {
    const std::string reason = context_ != nullptr ? context_->errstr : "out of memory";
    redisFree(context_);
    throw std::runtime_error("cannot connect to redis on port " + std::to_string(port) + ": " +
                             reason);
  }
  const timeval timeout{10, 0};
  redisSetTimeout(context_, timeout);
}

redis_commands::~redis_commands() {
  redisFree(context_);
}

redis::reply redis_commands::run(const std::vector<std::string>& args) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const auto& arg : args) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), pointers.data(), lengths.data()));
  if (raw == nullptr) {
    throw std::runtime_error(std::string("redis command failed: ") + context_->errstr);
  }
  auto answer = redis::reply::from_hiredis(*raw);
  freeReplyObject(raw);
  return answer;
}

std::string redis_commands::xadd(const std::string& key,
                                 const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> args{"XADD", key, "*"};
  for (const auto& [name, value] : fields) {
    args.push_back(name);
    args.push_back(value);
  }
  const auto answer = run(args);
  answer.throw_if_error();
  return answer.as_string();
}

}  // namespace gpt_adapter::testing
