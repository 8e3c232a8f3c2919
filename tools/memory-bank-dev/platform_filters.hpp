#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "common/auth/value_or_error.hpp"
#include "tools/memory-bank-dev/memory_store.hpp"

// The v3 search and list filters of the mem0 Platform, as its documents state them
// (mem0ai/mem0 docs/platform/features/v2-memory-filters.mdx, docs/openapi.json): AND/OR/NOT
// over field conditions; top-level keys from a fixed allow-list; per-field operators
// (metadata: bare value, eq, ne, contains; categories: in, contains; dates: gt, gte, lt, lte,
// ne, in, never eq); no nin; at least one positively scoped entity id. Pure.
namespace gpt_adapter::memory_bank_dev {

struct platform_refusal {
  int status = 400;  // 500 for what the Platform fails on (keywords in a search)
  std::string error;
};

enum class filter_use { search, list };

auth::value_or_error<memory_predicate, platform_refusal> compile_platform_filters(
    const boost::json::object& filters, filter_use use);

}  // namespace gpt_adapter::memory_bank_dev
