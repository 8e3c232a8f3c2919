#include "common/postgres/runtime_role.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using gpt_adapter::postgres::rls_bypass_problem;
using gpt_adapter::postgres::runtime_role;

TEST_CASE("runtime role: only a role that row-level security applies to is accepted",
          "[unit][postgres]") {
  CHECK_FALSE(rls_bypass_problem({.name = "gpt_adapter_app"}).has_value());

  const auto superuser = rls_bypass_problem({.name = "postgres", .superuser = true});
  REQUIRE(superuser.has_value());
  CHECK_THAT(*superuser, Contains("DATABASE_URL") && Contains("\"postgres\"") &&
                             Contains("is a superuser") && Contains("GRANT gpt_adapter_runtime") &&
                             Contains("NOSUPERUSER NOBYPASSRLS") &&
                             Contains("DATABASE_ALLOW_RLS_BYPASS=true"));

  const auto bypass = rls_bypass_problem({.name = "app", .bypass_rls = true});
  REQUIRE(bypass.has_value());
  CHECK_THAT(*bypass, Contains("has BYPASSRLS") && Contains("DATABASE_URL"));
  CHECK(rls_bypass_problem({.name = "both", .superuser = true, .bypass_rls = true}).has_value());
}
