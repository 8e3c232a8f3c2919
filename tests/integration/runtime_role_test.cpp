#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"

using namespace gpt_adapter::testing;
using Catch::Matchers::Contains;

namespace {

std::size_t lines_containing(const std::string& output, const std::string& text) {
  std::size_t count = 0;
  for (auto at = output.find(text); at != std::string::npos; at = output.find(text, at + 1)) {
    ++count;
  }
  return count;
}

std::string dependency_state(const http_reply& reply, const std::string& name) {
  const auto body = reply.json();  // named: the object must outlive the lookups
  const auto* dependencies = body.as_object().if_contains("dependencies");
  if (dependencies == nullptr || !dependencies->is_object()) {
    return "";
  }
  const auto* state = dependencies->as_object().if_contains(name);
  return state == nullptr ? "" : std::string(state->as_string());
}

bool role_checked(const service_process& service) {
  return wait_until(
      [&] {
        try {
          return dependency_state(http_get(service.port(), "/health/ready"), "postgres_role") ==
                 "ok";
        } catch (const std::exception&) {
          return false;
        }
      },
      30s, 50ms);
}

}  // namespace

TEST_CASE(
    "the API and the worker refuse a database role that bypasses row-level security, unless "
    "DATABASE_ALLOW_RLS_BYPASS is set",
    "[integration][api][worker]") {
  api_stack stack({.api = false});
  const auto binary = GENERATE(std::string(api_binary), std::string(worker_binary));
  const std::string port_variable = binary == api_binary ? "API_PORT" : "WORKER_OPS_PORT";
  INFO(binary);

  SECTION("a BYPASSRLS role or a superuser stops start-up, naming DATABASE_URL and the fix") {
    // Generated once for every run: the flag, not the URL of the first run's server.
    const bool superuser = GENERATE(false, true);
    const auto url = superuser ? stack.database.owner_url() : stack.database.bypass_rls_url();
    INFO((superuser ? "superuser" : "BYPASSRLS role"));
    service_process service(binary, stack.environment({{"DATABASE_URL", url}}), port_variable);
    const auto status = service.process().wait_exit(30s);
    INFO(service.output());
    CHECK(status == 78);
    CHECK_THAT(service.output(), Contains("refusing to start") && Contains("DATABASE_URL") &&
                                     Contains("GRANT gpt_adapter_runtime") &&
                                     Contains("DATABASE_ALLOW_RLS_BYPASS"));
  }

  SECTION("with the override it starts, and says so loudly once") {
    service_process service(binary,
                            stack.environment({{"DATABASE_URL", stack.database.bypass_rls_url()},
                                               {"DATABASE_ALLOW_RLS_BYPASS", "true"}}),
                            port_variable);
    // The worker is not ready without a Memory Bank: what matters here is the role check.
    REQUIRE(role_checked(service));
    INFO(service.output());
    CHECK(lines_containing(service.output(), "RUNNING WITHOUT ROW-LEVEL SECURITY") == 1);
    CHECK(service.process().running());
  }

  SECTION("the runtime role starts without a warning") {
    service_process service(binary, stack.environment(), port_variable);
    // The worker is not ready without a Memory Bank: what matters here is the role check.
    REQUIRE(role_checked(service));
    CHECK(service.output().find("ROW-LEVEL SECURITY") == std::string::npos);
  }
}
