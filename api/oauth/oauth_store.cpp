#include "api/oauth/oauth_store.hpp"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/text/uuid.hpp"

namespace gpt_adapter::api::oauth {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using postgres::param_list;

std::vector<std::string> json_strings(std::string_view text) {
  std::vector<std::string> values;
  boost::system::error_code error;
  const auto parsed = json::parse(text, error);
  if (error || !parsed.is_array()) {
    return values;
  }
  for (const auto& element : parsed.get_array()) {
    if (element.is_string()) {
      values.emplace_back(element.get_string());
    }
  }
  return values;
}

std::string json_text(const std::vector<std::string>& values) {
  json::array array;
  for (const auto& value : values) {
    array.emplace_back(value);
  }
  return json::serialize(array);
}

std::chrono::sys_seconds epoch_seconds(std::string_view text) {
  return std::chrono::sys_seconds(std::chrono::seconds(std::stoll(std::string(text))));
}

std::string epoch_text(std::chrono::sys_seconds at) {
  return std::to_string(at.time_since_epoch().count());
}

std::vector<revoked_access_token> revoked_tokens(const postgres::result& rows) {
  std::vector<revoked_access_token> revoked;
  for (std::size_t row = 0; row < rows.rows(); ++row) {
    if (rows.is_null(row, 0) || rows.is_null(row, 1)) {
      continue;
    }
    revoked.push_back({std::string(rows.value(row, 0)), epoch_seconds(rows.value(row, 1))});
  }
  return revoked;
}

// Every statement on custom_gpt_sessions names the owning application as well as the token, the
// family or the row: row-level security keeps clients apart only for roles it applies to, and a
// runtime role that bypasses it (a superuser, BYPASSRLS) must not let one client use, describe
// or revoke another's refresh tokens.
constexpr std::string_view revoke_family_sql = R"sql(
UPDATE custom_gpt_sessions SET revoked_at = now(), revoked_reason = $2
 WHERE family_id = $1::uuid AND application_id = $3::uuid AND revoked_at IS NULL
 RETURNING access_token_id, extract(epoch FROM access_token_expires_at)::bigint)sql";

}  // namespace

asio::awaitable<std::optional<client_record>> find_client(postgres::pool& database,
                                                          std::string client_id) {
  const auto rows = co_await database.query(
      "SELECT id::text, name, client_id, client_secret_hash, array_to_json(scopes)::text, "
      "array_to_json(redirect_uris)::text, status, token_version, "
      "issue_refresh_for_client_credentials, public_client, registration "
      "FROM custom_gpt_applications WHERE client_id = $1",
      param_list(client_id));
  if (rows.rows() == 0) {
    co_return std::nullopt;
  }
  co_return client_record{.id = std::string(rows.value(0, 0)),
                          .name = std::string(rows.value(0, 1)),
                          .client_id = std::string(rows.value(0, 2)),
                          .client_secret_hash = std::string(rows.value(0, 3)),
                          .scopes = json_strings(rows.value(0, 4)),
                          .redirect_uris = json_strings(rows.value(0, 5)),
                          .active = rows.value(0, 6) == "active",
                          .token_version = std::stoll(std::string(rows.value(0, 7))),
                          .issue_refresh_for_client_credentials = rows.value(0, 8) == "t",
                          .public_client = rows.value(0, 9) == "t",
                          .registration = std::string(rows.value(0, 10))};
}

asio::awaitable<std::optional<std::string>> insert_registered_client(postgres::pool& database,
                                                                     new_registered_client client) {
  const auto rows = co_await database.query(
      "INSERT INTO custom_gpt_applications (name, client_id, client_secret_hash, scopes, "
      "redirect_uris, rate_limit_per_minute, registration, public_client) VALUES ($1, $2, $3, "
      "ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), "
      "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), $6::integer, $7, $3 = '') "
      "ON CONFLICT (client_id) DO NOTHING RETURNING id::text",
      param_list(client.name, client.client_id, client.client_secret_hash, json_text(client.scopes),
                 json_text(client.redirect_uris), std::to_string(client.rate_limit_per_minute),
                 client.registration));
  if (rows.rows() == 0) {
    co_return std::nullopt;
  }
  co_return std::string(rows.value(0, 0));
}

asio::awaitable<void> update_metadata_document_client(postgres::pool& database,
                                                      std::string client_id, std::string name,
                                                      std::vector<std::string> redirect_uris) {
  co_await database.query(
      "UPDATE custom_gpt_applications SET name = $2, "
      "redirect_uris = ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), updated_at = now() "
      "WHERE client_id = $1 AND registration = 'metadata_document' AND (name <> $2 OR "
      "redirect_uris <> ARRAY(SELECT jsonb_array_elements_text($3::jsonb)))",
      param_list(client_id, name, json_text(redirect_uris)));
}

asio::awaitable<std::optional<end_user_record>> find_end_user(postgres::pool& database,
                                                              std::string username) {
  const auto rows = co_await database.query(
      "SELECT id::text, username, password_hash, status FROM custom_gpt_end_users "
      "WHERE username = $1",
      param_list(username));
  if (rows.rows() == 0) {
    co_return std::nullopt;
  }
  co_return end_user_record{.id = std::string(rows.value(0, 0)),
                            .username = std::string(rows.value(0, 1)),
                            .password_hash = std::string(rows.value(0, 2)),
                            .active = rows.value(0, 3) == "active"};
}

asio::awaitable<void> record_sign_in(postgres::pool& database, std::string end_user_id) {
  co_await database.query(
      "UPDATE custom_gpt_end_users SET last_sign_in_at = now() WHERE id = $1::uuid",
      param_list(end_user_id));
}

asio::awaitable<bool> end_user_is_active(postgres::pool& database, std::string end_user_id) {
  if (!text::is_uuid(end_user_id)) {
    co_return false;
  }
  const auto rows = co_await database.query(
      "SELECT 1 FROM custom_gpt_end_users WHERE id = $1::uuid AND status = 'active'",
      param_list(end_user_id));
  co_return rows.rows() == 1;
}

asio::awaitable<void> insert_refresh_family(postgres::pool& database, std::string application_id,
                                            new_refresh_family family) {
  co_await database.application_transaction(
      application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
        co_await lease.query(
            "INSERT INTO custom_gpt_sessions (application_id, end_user_id, family_id, token_hash, "
            "scope, expires_at, idle_expires_at, access_token_id, access_token_expires_at, "
            "token_version, resource) VALUES ($1::uuid, $2, $3::uuid, $4, $5, "
            "now() + make_interval(secs => $6::bigint), "
            "LEAST(now() + make_interval(secs => $6::bigint), "
            "now() + make_interval(secs => $7::bigint)), $8, to_timestamp($9::bigint), "
            "$10::integer, $11)",
            param_list(application_id, family.end_user_id, family.family_id, family.token_hash,
                       family.scope, std::to_string(family.lifetime.count()),
                       std::to_string(family.idle_timeout.count()), family.access_token_id,
                       epoch_text(family.access_token_expires_at),
                       std::to_string(family.token_version), family.resource));
      });
}

asio::awaitable<rotation_result> rotate_refresh_token(postgres::pool& database,
                                                      std::string application_id,
                                                      rotation_request request) {
  rotation_result result;
  co_await database.application_transaction(
      application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
        const auto rows = co_await lease.query(
            "SELECT s.id::text, s.family_id::text, s.end_user_id, s.scope, "
            "s.expires_at <= now() OR coalesce(s.idle_expires_at <= now(), false), "
            "s.revoked_at IS NOT NULL, s.used_at IS NOT NULL, s.token_version, "
            "coalesce(u.status = 'active', true), s.resource "
            "FROM custom_gpt_sessions s LEFT JOIN custom_gpt_end_users u "
            "ON u.id::text = s.end_user_id WHERE s.token_hash = $1 AND s.application_id = $2::uuid "
            "FOR UPDATE OF s",
            param_list(request.token_hash, application_id));
        if (rows.rows() == 0) {
          result.status = rotation_status::unknown;
          co_return;
        }
        const std::string id(rows.value(0, 0));
        result.family_id = rows.value(0, 1);
        result.end_user_id = rows.get(0, 2);
        result.scope = rows.value(0, 3);
        const bool expired = rows.value(0, 4) == "t";
        const bool revoked = rows.value(0, 5) == "t";
        const bool used = rows.value(0, 6) == "t";
        const long long version = std::stoll(std::string(rows.value(0, 7)));
        const bool end_user_active = rows.value(0, 8) == "t";
        result.resource = rows.value(0, 9);
        if (revoked) {
          result.status = rotation_status::revoked;
          co_return;
        }
        if (used) {
          const auto revoked_rows = co_await lease.query(
              revoke_family_sql,
              param_list(result.family_id, "refresh token reuse", application_id));
          result.revoked = revoked_tokens(revoked_rows);
          result.status = rotation_status::reused;
          co_return;
        }
        if (expired) {
          result.status = rotation_status::expired;
          co_return;
        }
        if (version < request.current_token_version) {
          result.status = rotation_status::outdated;
          co_return;
        }
        if (!end_user_active) {
          const auto revoked_rows = co_await lease.query(
              revoke_family_sql, param_list(result.family_id, "end user disabled", application_id));
          result.revoked = revoked_tokens(revoked_rows);
          result.status = rotation_status::end_user_disabled;
          co_return;
        }
        if (request.resource && *request.resource != result.resource) {
          result.status = rotation_status::other_resource;
          co_return;
        }
        if (request.scopes) {
          std::string narrowed;
          for (const auto& scope : *request.scopes) {
            const auto padded = " " + result.scope + " ";
            if (padded.find(" " + scope + " ") == std::string::npos) {
              result.status = rotation_status::scope_widened;
              co_return;
            }
            narrowed += (narrowed.empty() ? "" : " ") + scope;
          }
          if (!narrowed.empty()) {
            result.scope = narrowed;
          }
        }
        co_await lease.query(
            "UPDATE custom_gpt_sessions SET used_at = now() "
            "WHERE id = $1::uuid AND application_id = $2::uuid",
            param_list(id, application_id));
        co_await lease.query(
            "INSERT INTO custom_gpt_sessions (application_id, end_user_id, family_id, parent_id, "
            "token_hash, scope, expires_at, idle_expires_at, access_token_id, "
            "access_token_expires_at, token_version, resource) "
            "SELECT application_id, end_user_id, family_id, id, $2, $3, expires_at, "
            "LEAST(expires_at, now() + make_interval(secs => $4::bigint)), $5, "
            "to_timestamp($6::bigint), $7::integer, resource FROM custom_gpt_sessions "
            "WHERE id = $1::uuid AND application_id = $8::uuid",
            param_list(id, request.new_token_hash, result.scope,
                       std::to_string(request.idle_timeout.count()), request.access_token_id,
                       epoch_text(request.access_token_expires_at),
                       std::to_string(request.current_token_version), application_id));
        result.status = rotation_status::rotated;
      });
  co_return result;
}

asio::awaitable<std::vector<revoked_access_token>> revoke_family_of_token(
    postgres::pool& database, std::string application_id, std::string token_hash,
    std::string reason) {
  std::vector<revoked_access_token> revoked;
  co_await database.application_transaction(
      application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
        const auto family = co_await lease.query(
            "SELECT family_id::text FROM custom_gpt_sessions "
            "WHERE token_hash = $1 AND application_id = $2::uuid",
            param_list(token_hash, application_id));
        if (family.rows() == 0) {
          co_return;
        }
        const auto rows = co_await lease.query(
            revoke_family_sql, param_list(family.value(0, 0), reason, application_id));
        revoked = revoked_tokens(rows);
      });
  co_return revoked;
}

asio::awaitable<std::vector<revoked_access_token>> revoke_family(postgres::pool& database,
                                                                 std::string application_id,
                                                                 std::string family_id,
                                                                 std::string reason) {
  std::vector<revoked_access_token> revoked;
  co_await database.application_transaction(
      application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
        const auto rows =
            co_await lease.query(revoke_family_sql, param_list(family_id, reason, application_id));
        revoked = revoked_tokens(rows);
      });
  co_return revoked;
}

asio::awaitable<std::optional<refresh_token_state>> find_refresh_token(
    postgres::pool& database, std::string application_id, std::string token_hash,
    long long current_token_version) {
  std::optional<refresh_token_state> state;
  co_await database.application_transaction(
      application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
        const auto rows = co_await lease.query(
            "SELECT s.revoked_at IS NULL AND s.used_at IS NULL AND s.expires_at > now() "
            "AND coalesce(s.idle_expires_at > now(), true) AND s.token_version >= $2::integer "
            "AND coalesce(u.status = 'active', true), s.end_user_id, s.scope, "
            "extract(epoch FROM s.created_at)::bigint, "
            "extract(epoch FROM LEAST(s.expires_at, coalesce(s.idle_expires_at, s.expires_at)))"
            "::bigint FROM custom_gpt_sessions s LEFT JOIN custom_gpt_end_users u "
            "ON u.id::text = s.end_user_id WHERE s.token_hash = $1 AND s.application_id = $3::uuid",
            param_list(token_hash, std::to_string(current_token_version), application_id));
        if (rows.rows() == 0) {
          co_return;
        }
        state = refresh_token_state{.active = rows.value(0, 0) == "t",
                                    .end_user_id = rows.get(0, 1),
                                    .scope = std::string(rows.value(0, 2)),
                                    .issued_at = epoch_seconds(rows.value(0, 3)),
                                    .expires_at = epoch_seconds(rows.value(0, 4))};
      });
  co_return state;
}

}  // namespace gpt_adapter::api::oauth
