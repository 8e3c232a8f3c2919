#include "api/oauth/token_issuer.hpp"

#include <stdexcept>

namespace gpt_adapter::api::oauth {

token_issuer::token_issuer(std::shared_ptr<const auth::key_set> keys,
                           auth::access_token_settings settings,
                           std::chrono::seconds access_token_lifetime)
    : keys_(std::move(keys)), settings_(std::move(settings)), lifetime_(access_token_lifetime) {
  if (!keys_) {
    throw std::invalid_argument("token_issuer needs a key set");
  }
  jwks_ = keys_->jwks_json();
}

token_issuer::issued_token token_issuer::issue(std::string subject, std::string client_id,
                                               auth::scope_set scopes, std::int64_t token_version,
                                               std::chrono::sys_seconds now,
                                               std::string audience) const {
  auto claims = auth::new_access_token_claims(std::move(subject), std::move(client_id),
                                              std::move(scopes), token_version, now, lifetime_);
  claims.audience = std::move(audience);
  auto token = auth::encode_access_token(*keys_, settings_, claims);
  return {std::move(token), std::move(claims)};
}

std::string token_issuer::sign(const auth::access_token_claims& claims) const {
  return auth::encode_access_token(*keys_, settings_, claims);
}

auth::value_or_error<auth::access_token_claims, auth::token_failure> token_issuer::verify(
    std::string_view token, std::chrono::sys_seconds now) const {
  return auth::verify_access_token(*keys_, settings_, token, now);
}

}  // namespace gpt_adapter::api::oauth
