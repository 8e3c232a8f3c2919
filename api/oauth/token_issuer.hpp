#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/auth/access_token.hpp"
#include "common/auth/signing_key.hpp"

namespace gpt_adapter::api::oauth {

// The keys and rules of the API's access tokens: the token endpoint issues with it, and the
// bearer authentication of API routes verifies with the same object (taken by reference), so
// both agree on keys, issuer, audience and lifetime. Immutable and thread-safe.
class token_issuer {
 public:
  token_issuer(std::shared_ptr<const auth::key_set> keys, auth::access_token_settings settings,
               std::chrono::seconds access_token_lifetime);

  const auth::key_set& keys() const { return *keys_; }
  const auth::access_token_settings& settings() const { return settings_; }
  std::chrono::seconds access_token_lifetime() const { return lifetime_; }

  struct issued_token {
    std::string token;
    auth::access_token_claims claims;
  };

  // A new access token signed by the active key, valid from `now` for the configured lifetime,
  // for `audience` (auth::audience_for_resource; empty: the Actions API).
  issued_token issue(std::string subject, std::string client_id, auth::scope_set scopes,
                     std::int64_t token_version, std::chrono::sys_seconds now,
                     std::string audience = {}) const;

  // Signs claims prepared by the caller (auth::new_access_token_claims), for grants that must
  // record the token's jti before they know its subject and scopes.
  std::string sign(const auth::access_token_claims& claims) const;

  // The token's claims if its signature, algorithm, issuer, audience, time window and token_use
  // are right (auth::verify_access_token). Application state and the revocation deny-list are
  // the caller's further checks. Never throws.
  auth::value_or_error<auth::access_token_claims, auth::token_failure> verify(
      std::string_view token, std::chrono::sys_seconds now) const;

  // {"keys":[...]}: the public keys, for /.well-known/jwks.json.
  const std::string& jwks_json() const { return jwks_; }

 private:
  std::shared_ptr<const auth::key_set> keys_;
  auth::access_token_settings settings_;
  std::chrono::seconds lifetime_;
  std::string jwks_;
};

}  // namespace gpt_adapter::api::oauth
