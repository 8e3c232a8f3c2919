#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/auth/scopes.hpp"
#include "common/cache/ttl_cache.hpp"
#include "common/postgres/pool.hpp"

namespace gpt_adapter::api::request_auth {

struct api_key_record {
  std::string id;
  std::string application_id;
  auth::scope_set scopes;
};

using api_key_ptr = std::shared_ptr<const api_key_record>;

// API keys that were accepted recently, by the SHA-256 of the key, so that a caller using one
// costs no PostgreSQL query per request. Only positive results are kept: caching refusals would
// let anyone fill memory with random keys. An entry lives until an invalidation names its
// application (`key revoke` publishes one), until clear(), or at most `ttl`. Thread-safe.
class api_key_cache {
 public:
  api_key_cache(std::shared_ptr<postgres::pool> database, std::chrono::milliseconds ttl);

  // The active (not revoked) key, or nullptr. Loading it also stamps its last_used_at, so that
  // column is exact to within the ttl. Throws postgres::error when the database fails.
  boost::asio::awaitable<api_key_ptr> find(std::string_view presented_key);

  void invalidate_application(std::string_view application_id);
  void clear();

 private:
  std::shared_ptr<postgres::pool> database_;
  std::chrono::milliseconds ttl_;
  cache::ttl_cache<api_key_ptr> by_hash_;
};

}  // namespace gpt_adapter::api::request_auth
