#include "api/request_auth/end_user_cache.hpp"

#include "common/text/uuid.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;

end_user_status status_from(const postgres::result& rows) {
  if (rows.rows() == 0) {
    return end_user_status::unknown;
  }
  return rows.value(0, 0) == "active" ? end_user_status::active : end_user_status::disabled;
}

}  // namespace

std::string_view end_user_status_name(end_user_status status) {
  switch (status) {
    case end_user_status::active:
      return "active";
    case end_user_status::disabled:
      return "disabled";
    case end_user_status::unknown:
      return "unknown";
  }
  return "unknown";
}

end_user_cache::end_user_cache(std::shared_ptr<postgres::pool> database,
                               std::chrono::milliseconds ttl, metrics::registry& metrics)
    : database_(std::move(database)),
      ttl_(ttl),
      invalidations_(metrics
                         .add_counter("gpt_adapter_end_user_cache_invalidations_total",
                                      "Cached end-user states dropped on an invalidation message "
                                      "or a (re)subscription.")
                         .get()),
      lookups_(metrics, "gpt_adapter_end_user_cache_lookups_total",
               "End-user status lookups by request authorization: hit (from memory) or miss "
               "(queried).") {}

asio::awaitable<end_user_status> end_user_cache::status_of(std::string end_user_id) {
  // Not a uuid: it cannot name an end user, and the query's cast would fail.
  if (!text::is_uuid(end_user_id)) {
    co_return end_user_status::unknown;
  }
  const auto loaded_at = std::chrono::steady_clock::now();
  const auto cached = by_id_.find(end_user_id, loaded_at);
  if (cached.value) {
    lookups_.hit.inc();
    co_return *cached.value;
  }
  lookups_.miss.inc();
  const auto status = status_from(
      co_await database_->query("SELECT status FROM custom_gpt_end_users WHERE id = $1::uuid",
                                postgres::param_list(end_user_id)));
  by_id_.store(std::move(end_user_id), status, loaded_at + ttl_, cached.generation,
               std::chrono::steady_clock::now());
  co_return status;
}

void end_user_cache::invalidate(std::string_view end_user_id) {
  invalidations_.inc();
  by_id_.erase(end_user_id);
}

void end_user_cache::clear() {
  invalidations_.inc(static_cast<double>(by_id_.clear()));
}

}  // namespace gpt_adapter::api::request_auth
