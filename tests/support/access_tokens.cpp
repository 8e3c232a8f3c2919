#include "tests/support/access_tokens.hpp"

#include <boost/json/serialize.hpp>

#include "common/auth/jws.hpp"
#include "tests/support/services.hpp"

namespace gpt_adapter::testing {

auth::key_set test_hmac_keys() {
  return auth::key_set({auth::signing_key::hs256(test_hmac_kid, test_jwt_secret)}, test_hmac_kid);
}

std::chrono::sys_seconds now_in_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string mint_access_token(const auth::key_set& keys,
                              const auth::access_token_settings& settings,
                              const std::string& subject, const std::string& client_id,
                              auth::scope_set scopes, std::int64_t token_version,
                              std::chrono::sys_seconds issued, std::chrono::seconds lifetime) {
  return auth::encode_access_token(
      keys, settings,
      auth::new_access_token_claims(subject, client_id, std::move(scopes), token_version, issued,
                                    lifetime));
}

std::string signed_with(const auth::key_set& keys, const boost::json::object& claims) {
  return auth::sign_jws(keys.active(), boost::json::serialize(claims));
}

}  // namespace gpt_adapter::testing
