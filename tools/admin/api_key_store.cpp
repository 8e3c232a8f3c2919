#include "tools/admin/api_key_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const auto part : parts) {
    text += part;
  }
  return text;
}

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

std::vector<std::string> strings_from_json(std::string_view text) {
  std::vector<std::string> values;
  const auto parsed = json::parse(text);
  if (parsed.is_null()) {
    return values;
  }
  for (const auto& item : parsed.as_array()) {
    values.emplace_back(item.as_string());
  }
  return values;
}

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
  json::array scopes;
  for (const auto& scope : fields.scopes) {
    scopes.emplace_back(scope);
  }
  auto params = postgres::param_list(fields.application_id, fields.name, fields.key_hash,
                                     fields.key_prefix, json::serialize(scopes));
  const auto rows = co_await database.query(insert_sql, std::move(params));
  co_return key_at(rows, 0);
}

asio::awaitable<std::vector<api_key_row>> list_api_keys(postgres::pool& database,
                                                        std::optional<std::string> application_id) {
  auto params = postgres::param_list(std::move(application_id));
  const auto rows = co_await database.query(list_sql, std::move(params));
  std::vector<api_key_row> keys;
  for (std::size_t row = 0; row < rows.rows(); ++row) {
    keys.push_back(key_at(rows, row));
  }
  co_return keys;
}

asio::awaitable<std::optional<api_key_row>> revoke_api_key(postgres::pool& database,
                                                           std::string key_id) {
  auto params = postgres::param_list(std::move(key_id));
  const auto rows = co_await database.query(revoke_sql, std::move(params));
  if (rows.rows() == 0) {
    co_return std::nullopt;
  }
  co_return key_at(rows, 0);
}

json::object to_json(const api_key_row& key) {
  json::array scopes;
  for (const auto& scope : key.scopes) {
    scopes.emplace_back(scope);
  }
  const auto optional_text = [](const std::optional<std::string>& value) -> json::value {
    if (value) {
      return json::value(*value);
    }
    return nullptr;
  };
  return {{"id", key.id},
          {"application_id", key.application_id},
          {"client_id", key.client_id},
          {"name", key.name},
          {"key_prefix", key.key_prefix},
          {"scopes", std::move(scopes)},
          {"created_at", key.created_at},
          {"last_used_at", optional_text(key.last_used_at)},
          {"revoked_at", optional_text(key.revoked_at)}};
}

}  // namespace gpt_adapter::admin
