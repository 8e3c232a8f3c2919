#include "common/postgres/runtime_role.hpp"

namespace gpt_adapter::postgres {

std::optional<std::string> rls_bypass_problem(const runtime_role& role) {
  if (!role.superuser && !role.bypass_rls) {
    return std::nullopt;
  }
  return "DATABASE_URL logs in as role \"" + role.name + "\", which " +
         (role.superuser ? "is a superuser" : "has BYPASSRLS") +
         ": row-level security does not apply to it, so it would not keep applications' "
         "sessions, jobs and audit logs apart. Give the API and the worker a login role with "
         "NOSUPERUSER NOBYPASSRLS and `GRANT gpt_adapter_runtime TO <that role>` (keep the "
         "superuser for DATABASE_ADMIN_URL and migrations), or set DATABASE_ALLOW_RLS_BYPASS=true "
         "to start anyway.";
}

}  // namespace gpt_adapter::postgres
