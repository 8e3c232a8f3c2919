#include "tests/support/memory_stack.hpp"

#include "tests/support/access_tokens.hpp"

namespace gpt_adapter::testing {

memory_stack::memory_stack(const std::map<std::string, std::string>& api_overrides,
                           bool with_worker, const std::string& dialect, redis_server_options redis)
    : api_stack({.environment = {{"JWT_ISSUER", memory_stack_issuer},
                                 {"PUBLIC_BASE_URL", memory_stack_public_base_url}},
                 .memory_bank = true,
                 .memory_bank_dialect = dialect,
                 .worker = with_worker,
                 .api = false,
                 .redis = std::move(redis)}) {
  application = create_application(
      "Memory GPT", {"--scopes", "memories:read,memories:write", "--rate-limit", "10000"});
  alice = insert_end_user("alice", "alice's long password");
  bob = insert_end_user("bob", "bob's long password");
  start_api(api_overrides);
}

std::string memory_stack::token(const std::string& subject, auth::scope_set scopes) const {
  const auth::access_token_settings settings{memory_stack_issuer, memory_stack_issuer};
  return mint_access_token(test_hmac_keys(), settings, subject, application.client_id,
                           std::move(scopes), application.token_version);
}

std::string memory_stack::mcp_token(const std::string& subject, auth::scope_set scopes) const {
  const auth::access_token_settings settings{memory_stack_issuer, memory_stack_issuer};
  auto claims = auth::new_access_token_claims(subject, application.client_id, std::move(scopes),
                                              application.token_version, now_in_seconds(),
                                              std::chrono::hours(1));
  claims.audience = memory_stack_mcp_resource;
  return auth::encode_access_token(test_hmac_keys(), settings, claims);
}

}  // namespace gpt_adapter::testing
