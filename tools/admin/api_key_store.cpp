#include "tools/admin/api_key_store.hpp"

#include <boost/json/array.hpp>

#include "tools/admin/json_output.hpp"
#include "tools/admin/store_sql.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// As in application_store.cpp: arrays as JSON, timestamps as ISO 8601 UTC.
constexpr std::string_view selected_columns = R"(
  k.id::text AS id, k.application_id::text AS application_id, a.client_id, k.name, k.key_prefix,
  array_to_json(k.scopes)::text AS scopes,
  to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
  to_char(k.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at,
  to_char(k.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at)";

const std::string insert_sql =
    sql({R"(WITH k AS (
      INSERT INTO custom_gpt_api_keys (application_id, name, key_hash, key_prefix, scopes)
      VALUES ($1::uuid, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)))
      RETURNING *)
    SELECT)",
         selected_columns, " FROM k JOIN custom_gpt_applications a ON a.id = k.application_id"});

const std::string list_sql = sql({"SELECT", selected_columns,
                                  R"( FROM custom_gpt_api_keys k
      JOIN custom_gpt_applications a ON a.id = k.application_id
    WHERE $1::uuid IS NULL OR k.application_id = $1::uuid
    ORDER BY k.created_at, k.id)"});

// Key ids are UUIDs, but an operator may paste anything: comparing as text never fails a cast.
const std::string revoke_sql =
    sql({R"(WITH k AS (
      UPDATE custom_gpt_api_keys SET revoked_at = COALESCE(revoked_at, now())
      WHERE id::text = $1
      RETURNING *)
    SELECT)",
         selected_columns, " FROM k JOIN custom_gpt_applications a ON a.id = k.application_id"});

api_key_row key_at(const postgres::result& rows, std::size_t row) {
  const auto text = [&](std::string_view column) {
    return std::string(rows.value(row, rows.column(column)));
  };
  return {.id = text("id"),
          .application_id = text("application_id"),
          .client_id = text("client_id"),
          .name = text("name"),
          .key_prefix = text("key_prefix"),
          .scopes = strings_from_json(text("scopes")),
          .created_at = text("created_at"),
          .last_used_at = rows.get(row, rows.column("last_used_at")),
          .revoked_at = rows.get(row, rows.column("revoked_at"))};
}

}  // namespace

asio::awaitable<api_key_row> insert_api_key(postgres::pool& database, new_api_key fields) {
  auto params = postgres::param_list(fields.application_id, fields.name, fields.key_hash,
                                     fields.key_prefix, json_array_of(fields.scopes));
  const auto rows = co_await database.query(insert_sql, std::move(params));
  co_return key_at(rows, 0);
}

asio::awaitable<std::vector<api_key_row>> list_api_keys(postgres::pool& database,
                                                        std::optional<std::string> application_id) {
  auto params = postgres::param_list(std::move(application_id));
  co_return all_rows(co_await database.query(list_sql, std::move(params)), key_at);
}

asio::awaitable<std::optional<api_key_row>> revoke_api_key(postgres::pool& database,
                                                           std::string key_id) {
  auto params = postgres::param_list(std::move(key_id));
  co_return first_row(co_await database.query(revoke_sql, std::move(params)), key_at);
}

json::object to_json(const api_key_row& key) {
  json::array scopes(key.scopes.begin(), key.scopes.end());
  return {{"id", key.id},
          {"application_id", key.application_id},
          {"client_id", key.client_id},
          {"name", key.name},
          {"key_prefix", key.key_prefix},
          {"scopes", std::move(scopes)},
          {"created_at", key.created_at},
          {"last_used_at", text_or_null(key.last_used_at)},
          {"revoked_at", text_or_null(key.revoked_at)}};
}

}  // namespace gpt_adapter::admin
