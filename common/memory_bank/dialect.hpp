#pragma once

#include <optional>
#include <string>
#include <string_view>

// Which mem0 deployment the Memory Bank is (MEMORY_BANK_DIALECT): the hosted mem0 Platform or
// the self-hosted mem0 open-source REST server.
namespace gpt_adapter::memory_bank {

enum class dialect { mem0_platform, mem0_oss };

std::string_view to_string(dialect value);
std::optional<dialect> parse_dialect(std::string_view text);

// Why a dialect the adapter used to offer is gone, for the start-up error; nullopt for any
// other name.
std::optional<std::string> retired_dialect_reason(std::string_view text);

}  // namespace gpt_adapter::memory_bank
