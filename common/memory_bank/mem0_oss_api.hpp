#pragma once

#include <memory>

#include "common/memory_bank/mem0_api.hpp"

namespace gpt_adapter::memory_bank {

// The self-hosted mem0 open-source REST server (mem0ai/mem0 server/main.py).
std::unique_ptr<mem0_api> make_mem0_oss_api();

}  // namespace gpt_adapter::memory_bank
