#include "api/request_auth/api_key_cache.hpp"

#include <mutex>

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
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(mutex_);
    const auto found = by_hash_.find(hash);
    if (found != by_hash_.end() &&
        std::chrono::steady_clock::now() - found->second.loaded_at < ttl_) {
      co_return found->second.key;
    }
    generation = generation_;
  }
  const auto loaded_at = std::chrono::steady_clock::now();
  const auto rows = co_await database_->query(
      "UPDATE custom_gpt_api_keys SET last_used_at = now() "
      "WHERE key_hash = $1 AND revoked_at IS NULL "
      "RETURNING id::text, application_id::text, array_to_string(scopes, ' ')",
      postgres::param_list(hash));
  if (rows.rows() == 0) {
    std::unique_lock lock(mutex_);
    by_hash_.erase(hash);
    co_return nullptr;
  }
  auto key = std::make_shared<api_key_record>(
      api_key_record{.id = std::string(rows.value(0, 0)),
                     .application_id = std::string(rows.value(0, 1)),
                     .scopes = scopes_of(rows.value(0, 2))});
  std::unique_lock lock(mutex_);
  if (generation == generation_) {
    by_hash_[std::move(hash)] = entry{key, loaded_at};
  }
  co_return key;
}

void api_key_cache::invalidate_application(std::string_view application_id) {
  std::unique_lock lock(mutex_);
  ++generation_;
  std::erase_if(by_hash_, [&](const auto& item) {
    return item.second.key->application_id == application_id;
  });
}

void api_key_cache::clear() {
  std::unique_lock lock(mutex_);
  ++generation_;
  by_hash_.clear();
}

}  // namespace gpt_adapter::api::request_auth
