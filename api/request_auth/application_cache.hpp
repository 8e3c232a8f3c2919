#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/auth/access_token.hpp"
#include "common/auth/scopes.hpp"
#include "common/cache/lookup_counters.hpp"
#include "common/cache/ttl_cache.hpp"
#include "common/metrics/registry.hpp"
#include "common/postgres/pool.hpp"

namespace gpt_adapter::api::request_auth {

// What request authorization needs to know about a Custom GPT application.
struct application_state {
  std::string id;
  std::string client_id;
  std::string name;
  auth::application_status status = auth::application_status::disabled;
  std::int64_t token_version = 0;
  auth::scope_set scopes;
  std::int64_t rate_limit_per_minute = 0;
};

using application_ptr = std::shared_ptr<const application_state>;

// Applications cached in process, so that authorizing a request makes no PostgreSQL query once
// its application is known. An entry lives until an invalidation names its application (the
// admin CLI publishes one on every change; see auth/redis_names.hpp), until the cache is
// cleared (after the subscription was lost and re-established: messages may have been missed),
// or at most `ttl`, which bounds the staleness should a message be lost anyway. Unknown client
// ids are cached too (a deleted application's tokens would otherwise query on every request).
// Thread-safe.
class application_cache {
 public:
  application_cache(std::shared_ptr<postgres::pool> database, std::chrono::milliseconds ttl,
                    metrics::registry& metrics);

  // The application with this client_id, or nullptr when there is none. Throws postgres::error
  // when it has to be loaded and the database fails.
  boost::asio::awaitable<application_ptr> find_by_client_id(std::string client_id);
  // The same by the application's id (a uuid).
  boost::asio::awaitable<application_ptr> find_by_id(std::string id);

  void invalidate(std::string_view application_id);
  void clear();

 private:
  // nullptr: known not to exist.
  using entries = cache::ttl_cache<application_ptr>;

  boost::asio::awaitable<application_ptr> find(entries& cache, std::string_view column,
                                               std::string key);

  std::shared_ptr<postgres::pool> database_;
  std::chrono::milliseconds ttl_;
  entries by_client_id_;
  entries by_id_;
  metrics::counter& invalidations_;
  cache::lookup_counters lookups_;
};

}  // namespace gpt_adapter::api::request_auth
