#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "common/http/router.hpp"
#include "tools/memory-bank-dev/dev_http.hpp"
#include "tools/memory-bank-dev/memory_store.hpp"

// The routes of the self-hosted mem0 open-source REST server (mem0ai/mem0 server/main.py, with
// Memory in mem0/memory/main.py over its default pgvector store), answering and refusing as it
// does: FastAPI's 422 for a body of the wrong shape, {"detail": ...} errors, 200 null for a
// memory it does not have, 502 {detail, code, request_id} when the store fails (as it does on
// an id that is not a UUID), top_k rather than a limit.
namespace gpt_adapter::memory_bank_dev::oss {

void add_routes(http::router& routes, std::shared_ptr<memory_store> store,
                const route_guard& guard);

// The X-API-Key check of server/auth.py: nullopt admits the call as `who`, otherwise the 401 to
// answer. A Bearer credential is read as a dashboard login JWT, which no API key is.
struct credentials {
  std::optional<std::string> admin_key;  // ADMIN_API_KEY
  std::optional<std::string> user_key;   // a per-user key made in the dashboard (not admin)
};

std::variant<caller, http::response> authenticate(const credentials& keys,
                                                  const http::request_context& context);

}  // namespace gpt_adapter::memory_bank_dev::oss
