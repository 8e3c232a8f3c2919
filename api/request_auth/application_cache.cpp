#include "api/request_auth/application_cache.hpp"

#include "common/logging/logger.hpp"

namespace gpt_adapter::api::request_auth {
namespace {

namespace asio = boost::asio;

auth::scope_set scopes_of(std::string_view spaced, std::string_view application_id) {
  auth::scope_set scopes;
  std::size_t start = 0;
  while (start < spaced.size()) {
    auto end = spaced.find(' ', start);
    if (end == std::string_view::npos) {
      end = spaced.size();
    }
    const auto scope = spaced.substr(start, end - start);
    if (const auto canonical = auth::canonical_scope(scope)) {
      scopes.emplace(*canonical);
    } else if (!scope.empty()) {
      // Only reachable by editing the table by hand: the admin CLI validates scopes.
      logging::warn("application has an unknown scope; ignored",
                    {{"application_id", application_id}, {"scope", scope}});
    }
    start = end + 1;
  }
  return scopes;
}

application_ptr application_from(const postgres::result& rows) {
  if (rows.rows() == 0) {
    return nullptr;
  }
  auto state = std::make_shared<application_state>();
  state->id = rows.value(0, 0);
  state->client_id = rows.value(0, 1);
  state->name = rows.value(0, 2);
  state->status = rows.value(0, 3) == "active" ? auth::application_status::active
                                               : auth::application_status::disabled;
  state->token_version = std::stoll(std::string(rows.value(0, 4)));
  state->scopes = scopes_of(rows.value(0, 5), state->id);
  state->rate_limit_per_minute = std::stoll(std::string(rows.value(0, 6)));
  return state;
}

}  // namespace

application_cache::application_cache(std::shared_ptr<postgres::pool> database,
                                     std::chrono::milliseconds ttl, metrics::registry& metrics)
    : database_(std::move(database)),
      ttl_(ttl),
      invalidations_(metrics
                         .add_counter("gpt_adapter_application_cache_invalidations_total",
                                      "Cached applications dropped on an invalidation message or "
                                      "a (re)subscription.")
                         .get()),
      lookups_(
          metrics, "gpt_adapter_application_cache_lookups_total",
          "Application lookups by request authorization: hit (from memory) or miss (queried).") {}

asio::awaitable<application_ptr> application_cache::find_by_client_id(std::string client_id) {
  return find(by_client_id_, "client_id", std::move(client_id));
}

asio::awaitable<application_ptr> application_cache::find_by_id(std::string id) {
  return find(by_id_, "id", std::move(id));
}

asio::awaitable<application_ptr> application_cache::find(entries& cache, std::string_view column,
                                                         std::string key) {
  const auto loaded_at = std::chrono::steady_clock::now();
  auto cached = cache.find(key, loaded_at);
  if (cached.value) {
    lookups_.hit.inc();
    co_return std::move(*cached.value);
  }
  lookups_.miss.inc();
  const std::string sql =
      "SELECT id::text, client_id, name, status, token_version, array_to_string(scopes, ' '), "
      "rate_limit_per_minute FROM custom_gpt_applications WHERE " +
      std::string(column) + (column == "id" ? " = $1::uuid" : " = $1");
  auto application = application_from(co_await database_->query(sql, postgres::param_list(key)));
  cache.store(std::move(key), application, loaded_at + ttl_, cached.generation,
              std::chrono::steady_clock::now());
  co_return application;
}

void application_cache::invalidate(std::string_view application_id) {
  invalidations_.inc();
  by_id_.erase(application_id);
  by_client_id_.erase_if([&](const std::string&, const application_ptr& application) {
    return application == nullptr || application->id == application_id;
  });
}

void application_cache::clear() {
  invalidations_.inc(static_cast<double>(by_id_.clear() + by_client_id_.clear()));
}

}  // namespace gpt_adapter::api::request_auth
