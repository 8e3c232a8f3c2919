#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/json/object.hpp>

#include "common/auth/access_token.hpp"
#include "common/auth/signing_key.hpp"

// Access tokens signed by the test itself, as the token endpoint would issue them, for tests of
// what the API accepts (without going through the OAuth flow for each one).
namespace gpt_adapter::testing {

// The kid the API gives its HMAC key by default.
inline constexpr auto test_hmac_kid = "hs256";

// The key the API started with service_environment() signs and verifies with.
auth::key_set test_hmac_keys();

std::chrono::sys_seconds now_in_seconds();

// A token for `subject` (an end user, or the client itself for client credentials).
std::string mint_access_token(const auth::key_set& keys,
                              const auth::access_token_settings& settings,
                              const std::string& subject, const std::string& client_id,
                              auth::scope_set scopes, std::int64_t token_version,
                              std::chrono::sys_seconds issued = now_in_seconds(),
                              std::chrono::seconds lifetime = std::chrono::hours(1));

// Any payload, signed as a compact JWS by the set's active key (for tokens a test alters).
std::string signed_with(const auth::key_set& keys, const boost::json::object& claims);

}  // namespace gpt_adapter::testing
