#pragma once

#include <memory>

#include "common/memory_bank/mem0_api.hpp"

namespace gpt_adapter::memory_bank {

// The hosted mem0 Platform API (mem0ai/mem0 docs/openapi.json, mem0/client/main.py).
std::unique_ptr<mem0_api> make_mem0_platform_api();

}  // namespace gpt_adapter::memory_bank
