#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>

#include "common/auth/scopes.hpp"
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
  struct entry {
    api_key_ptr key;
    std::chrono::steady_clock::time_point loaded_at;
  };

  std::shared_ptr<postgres::pool> database_;
  std::chrono::milliseconds ttl_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, entry> by_hash_;
  std::uint64_t generation_ = 0;  // as in application_cache
};

}  // namespace gpt_adapter::api::request_auth
