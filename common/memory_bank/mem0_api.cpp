#include "common/memory_bank/mem0_api.hpp"

#include "common/memory_bank/mem0_oss_api.hpp"
#include "common/memory_bank/mem0_platform_api.hpp"

namespace gpt_adapter::memory_bank {

std::unique_ptr<mem0_api> make_mem0_api(dialect shape) {
  return shape == dialect::mem0_platform ? make_mem0_platform_api() : make_mem0_oss_api();
}

}  // namespace gpt_adapter::memory_bank
