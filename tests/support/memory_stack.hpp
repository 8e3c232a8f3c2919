#pragma once

#include <map>
#include <string>

#include "common/auth/access_token.hpp"
#include "common/auth/scopes.hpp"
#include "tests/support/api_stack.hpp"

namespace gpt_adapter::testing {

inline constexpr auto memory_stack_issuer = "https://adapter.test";
inline constexpr auto memory_stack_public_base_url = "https://gpt.example.com";
inline constexpr auto memory_stack_mcp_resource = "https://gpt.example.com/mcp";

// The whole stack a Custom GPT talks to (PostgreSQL, Redis, the dev Memory Bank in `dialect`,
// the worker and the API) with one application made by gpt-adapter-admin, two of its end users,
// and tokens signed as the token endpoint signs them.
struct memory_stack : api_stack {
  registered_application application;
  std::string alice;  // end user ids (custom_gpt_end_users.id)
  std::string bob;

  explicit memory_stack(const std::map<std::string, std::string>& api_overrides = {},
                        bool with_worker = true, const std::string& dialect = "mem0-oss",
                        redis_server_options redis = {});

  // A token as the token endpoint issues it: `subject` is the end user of the sign-in flow, or
  // the client_id itself for client credentials.
  std::string token(const std::string& subject,
                    auth::scope_set scopes = {"memories:read", "memories:write"}) const;
  // The same for the MCP endpoint: its audience is the MCP resource (RFC 8707).
  std::string mcp_token(const std::string& subject,
                        auth::scope_set scopes = {"memories:read", "memories:write"}) const;
};

}  // namespace gpt_adapter::testing
