#include "api/request_auth/api_key_cache.hpp"

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;

auth::scope_set scopes_of(std::string_view spaced) {
  auth::scope_set scopes;
  if (auto parsed = auth::parse_scopes(spaced)) {
    scopes = std::move(parsed).value();
  }
  return scopes;
}

}  // namespace

api_key_cache::api_key_cache(std::shared_ptr<postgres::pool> database,
                             std::chrono::milliseconds ttl)
    : database_(std::move(database)), ttl_(ttl) {}

asio::awaitable<api_key_ptr> api_key_cache::find(std::string_view presented_key) {
  auto hash = auth::sha256_hex(presented_key);
  const auto loaded_at = std::chrono::steady_clock::now();
  auto cached = by_hash_.find(hash, loaded_at);
  if (cached.value) {
    co_return std::move(*cached.value);
  }
  const auto rows = co_await database_->query(
      "UPDATE custom_gpt_api_keys SET last_used_at = now() "
      "WHERE key_hash = $1 AND revoked_at IS NULL "
      "RETURNING id::text, application_id::text, array_to_string(scopes, ' ')",
      postgres::param_list(hash));
  if (rows.rows() == 0) {
    co_return nullptr;
  }
  auto key = std::make_shared<api_key_record>(
      api_key_record{.id = std::string(rows.value(0, 0)),
                     .application_id = std::string(rows.value(0, 1)),
                     .scopes = scopes_of(rows.value(0, 2))});
  by_hash_.store(std::move(hash), key, loaded_at + ttl_, cached.generation,
                 std::chrono::steady_clock::now());
  co_return key;
}

void api_key_cache::invalidate_application(std::string_view application_id) {
  by_hash_.erase_if([&](const std::string&, const api_key_ptr& key) {
    return key->application_id == application_id;
  });
}

void api_key_cache::clear() {
  by_hash_.clear();
}

}  // namespace gpt_adapter::api::request_auth
