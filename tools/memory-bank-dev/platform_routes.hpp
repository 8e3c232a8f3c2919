#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "common/http/router.hpp"
#include "tools/memory-bank-dev/dev_http.hpp"
#include "tools/memory-bank-dev/memory_store.hpp"

// The routes of the hosted mem0 Platform that the adapter relies on (mem0ai/mem0
// docs/openapi.json, docs/platform/features/v2-memory-filters.mdx, mem0/client/main.py): v3
// add, search and list; v1 get, update, delete, history and delete-all; v1 events. Add with
// infer runs in the background like the Platform's: the answer is a PENDING event that becomes
// SUCCEEDED after `processing_delay`, and only then are the memories there. Errors are
// {"error": ...}; a memory id that is not a UUID is a 400.
namespace gpt_adapter::memory_bank_dev::platform {

struct settings {
  std::chrono::milliseconds processing_delay{300};
};

void add_routes(http::router& routes, std::shared_ptr<memory_store> store, const route_guard& guard,
                settings options);

// `Authorization: Token <key>`: nullopt admits the call, otherwise the 401 to answer. Any key is
// taken when `key` is nullopt.
std::variant<caller, http::response> authenticate(const std::optional<std::string>& key,
                                                  const http::request_context& context);

}  // namespace gpt_adapter::memory_bank_dev::platform
