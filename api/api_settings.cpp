#include "api/api_settings.hpp"

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api {

api_settings read_api_settings(const config::env_reader& env) {
  api_settings settings;
  settings.common = config::read_common_settings(env);
  settings.listener = config::read_http_listener_settings(env, "API_HOST", "API_PORT", 8000);
  settings.signing.algorithm = env.one_of_or("JWT_ALGORITHM", "HS256", {"HS256"});
  settings.signing.access_token_lifetime =
      std::chrono::minutes(env.integer_or("JWT_EXPIRATION_MINUTES", 60, 1, 24 * 60));
  if (auto secret = env.optional_string("JWT_SECRET_KEY")) {
    if (secret->size() < min_hmac_secret_bytes) {
      throw config::config_error("JWT_SECRET_KEY is too short: expected at least " +
                                 std::to_string(min_hmac_secret_bytes) + " bytes, got " +
                                 std::to_string(secret->size()));
    }
    settings.signing.secret = std::move(*secret);
  } else if (settings.common.dev_mode) {
    settings.signing.secret = auth::random_token(48);
    settings.signing.ephemeral = true;
  } else {
    throw config::config_error(
        "JWT_SECRET_KEY is required but not set: expected a random secret of at least 32 bytes "
        "(e.g. `openssl rand -hex 32`); set GPT_ADAPTER_DEV_MODE=true only for local development "
        "to use an ephemeral key");
  }
  return settings;
}

}  // namespace gpt_adapter::api
