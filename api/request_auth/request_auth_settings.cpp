#include "api/request_auth/request_auth_settings.hpp"

#include <algorithm>

namespace gpt_adapter::api::request_auth {
namespace {

// RFC 7235 quoted-string content without the need for escapes: printable ASCII but '"' and '\'.
bool is_plain_quoted_text(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

}  // namespace

request_auth_settings read_request_auth_settings(const config::env_reader& env) {
  using std::chrono::milliseconds;
  request_auth_settings settings;
  settings.realm = env.string_or("AUTH_REALM", settings.realm);
  if (settings.realm.empty() || !is_plain_quoted_text(settings.realm)) {
    throw config::config_error(
        "AUTH_REALM is invalid: expected printable ASCII without '\"' or '\\'");
  }
  settings.application_cache_ttl =
      env.millis_or("APPLICATION_CACHE_TTL_MS", settings.application_cache_ttl, milliseconds(100),
                    milliseconds(600000));
  settings.api_key_cache_ttl = env.millis_or("API_KEY_CACHE_TTL_MS", settings.api_key_cache_ttl,
                                             milliseconds(100), milliseconds(600000));
  settings.end_user_cache_ttl = env.millis_or("END_USER_CACHE_TTL_MS", settings.end_user_cache_ttl,
                                              milliseconds(100), milliseconds(600000));
  settings.access_token_cache_entries = static_cast<std::size_t>(
      env.integer_or("ACCESS_TOKEN_CACHE_ENTRIES",
                     static_cast<std::int64_t>(settings.access_token_cache_entries), 0, 10000000));
  settings.fail_mode = env.one_of_or("RATE_LIMIT_FAIL_MODE", "open", {"open", "closed"}) == "open"
                           ? rate_limit_fail_mode::open
                           : rate_limit_fail_mode::closed;
  settings.doors_share_tokens = env.boolean_or("MCP_SHARE_TOKENS_WITH_ACTIONS", false);
  return settings;
}

}  // namespace gpt_adapter::api::request_auth
