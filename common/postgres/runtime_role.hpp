#pragma once

#include <optional>
#include <string>
#include <string_view>

// Whether the role the services log in as keeps row-level security in force. A superuser or a
// BYPASSRLS role is exempt from every policy, so with it only the services' own checks would
// keep one application's sessions, jobs and audit logs from another's: the API and the worker
// refuse to start on one unless the operator says otherwise (DATABASE_ALLOW_RLS_BYPASS).
namespace gpt_adapter::postgres {

// One row: the role's name, rolsuper, rolbypassrls ('t' or 'f').
inline constexpr std::string_view runtime_role_sql =
    "SELECT rolname, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user";

struct runtime_role {
  std::string name;
  bool superuser = false;
  bool bypass_rls = false;
};

// Why the role cannot be the services' runtime role (naming DATABASE_URL and what to grant
// instead), or std::nullopt when row-level security applies to it.
std::optional<std::string> rls_bypass_problem(const runtime_role& role);

}  // namespace gpt_adapter::postgres
