#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/cache/lookup_counters.hpp"
#include "common/cache/ttl_cache.hpp"
#include "common/metrics/registry.hpp"
#include "common/postgres/pool.hpp"

namespace gpt_adapter::api::request_auth {

enum class end_user_status {
  active,
  disabled,
  unknown,  // no such end user (deleted, or a `sub` that is no end user's id)
};

std::string_view end_user_status_name(end_user_status status);

// End users' status cached in process, so that refusing a disabled end user's access tokens
// costs no PostgreSQL query per request. Kept fresh as application_cache is: an entry lives until
// an invalidation names its end user (`gpt-adapter-admin user disable|enable|reset-password`
// publish one), until clear() (after the subscription was lost and re-established), or at most
// `ttl`. Unknown ids are cached too: only ids from tokens this server signed reach it, so the
// cache cannot be filled from outside. Thread-safe.
class end_user_cache {
 public:
  end_user_cache(std::shared_ptr<postgres::pool> database, std::chrono::milliseconds ttl,
                 metrics::registry& metrics);

  // Throws postgres::error when the status has to be loaded and the database fails.
  boost::asio::awaitable<end_user_status> status_of(std::string end_user_id);

  void invalidate(std::string_view end_user_id);
  void clear();

 private:
  std::shared_ptr<postgres::pool> database_;
  std::chrono::milliseconds ttl_;
  cache::ttl_cache<end_user_status> by_id_;
  metrics::counter& invalidations_;
  cache::lookup_counters lookups_;
};

}  // namespace gpt_adapter::api::request_auth
