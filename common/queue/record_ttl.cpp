#include "common/queue/record_ttl.hpp"

namespace gpt_adapter::queue {

std::chrono::seconds read_record_ttl(const config::env_reader& env) {
  return std::chrono::seconds(
      env.integer_or("JOB_RECORD_TTL_SECONDS", default_record_ttl_seconds, 60, 30LL * 24 * 3600));
}

}  // namespace gpt_adapter::queue
