#include "common/memory_bank/dialect.hpp"

#include <array>
#include <utility>

namespace gpt_adapter::memory_bank {
namespace {

constexpr std::array<std::pair<dialect, std::string_view>, 2> dialect_names{{
    {dialect::mem0_platform, "mem0-platform"},
    {dialect::mem0_oss, "mem0-oss"},
}};

}  // namespace

std::string_view to_string(dialect value) {
  for (const auto& [shape, name] : dialect_names) {
    if (shape == value) {
      return name;
    }
  }
  return "unknown";
}

std::optional<dialect> parse_dialect(std::string_view text) {
  for (const auto& [shape, name] : dialect_names) {
    if (name == text) {
      return shape;
    }
  }
  return std::nullopt;
}

std::optional<std::string> retired_dialect_reason(std::string_view text) {
  if (text == "openmemory") {
    return "OpenMemory was removed from mem0 on 2026-07-29; its REST API had no authentication "
           "and read, changed and deleted memories by id whoever asked, so one end user could "
           "reach another's. Run the mem0 open-source server (mem0-oss) or use the mem0 Platform "
           "(mem0-platform) instead";
  }
  return std::nullopt;
}

}  // namespace gpt_adapter::memory_bank
