#include "tools/admin/application_store.hpp"

#include <boost/json/array.hpp>

#include "tools/admin/json_output.hpp"
#include "tools/admin/store_sql.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Arrays come back as JSON and timestamps as ISO 8601 UTC, so parsing does not depend on
// Postgres's array literal quoting or the session's DateStyle and TimeZone.
constexpr std::string_view selected_columns = R"(
  id::text AS id, name, client_id, array_to_json(scopes)::text AS scopes,
  rate_limit_per_minute, array_to_json(redirect_uris)::text AS redirect_uris,
  status, token_version, registration, public_client,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at,
  to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at)";

// Ids are UUIDs while client ids are free text: comparing id as text accepts either without a
// cast error. The table holds a handful of rows, so the lost index use on id does not matter.
constexpr std::string_view reference_condition = "(id::text = $1 OR client_id = $1)";

// Statements are built here, and parameter lists are named variables in the coroutines below:
// GCC 12 rejects a braced list as a temporary inside a co_await expression.
const std::string select_all_sql =
    sql({"SELECT", selected_columns, " FROM custom_gpt_applications ORDER BY created_at, id"});

const std::string select_one_sql =
    sql({"SELECT", selected_columns, " FROM custom_gpt_applications WHERE ", reference_condition});

const std::string insert_sql = sql({R"(INSERT INTO custom_gpt_applications
      (name, client_id, client_secret_hash, scopes, rate_limit_per_minute, redirect_uris)
    VALUES ($1, $2, $3, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5::integer,
            ARRAY(SELECT jsonb_array_elements_text($6::jsonb)))
    RETURNING)",
                                    selected_columns});

// Disabling bumps token_version, which every issued token carries: they stop being accepted.
const std::string update_sql = sql({R"(UPDATE custom_gpt_applications SET
      name = COALESCE($2, name),
      scopes = CASE WHEN $3::jsonb IS NULL THEN scopes
                    ELSE ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) END,
      rate_limit_per_minute = COALESCE($4::integer, rate_limit_per_minute),
      redirect_uris = CASE WHEN $5::jsonb IS NULL THEN redirect_uris
                           ELSE ARRAY(SELECT jsonb_array_elements_text($5::jsonb)) END,
      status = COALESCE($6, status),
      token_version = token_version +
        CASE WHEN $6 = 'disabled' AND status <> 'disabled' THEN 1 ELSE 0 END,
      updated_at = now()
    WHERE )",
                                    reference_condition, " RETURNING", selected_columns});

const std::string replace_secret_sql = sql({R"(UPDATE custom_gpt_applications
    SET client_secret_hash = $2, token_version = token_version + 1, updated_at = now()
    WHERE )",
                                            reference_condition, " RETURNING", selected_columns});

const std::string delete_sql =
    sql({"DELETE FROM custom_gpt_applications WHERE ", reference_condition, " RETURNING id::text"});

constexpr std::string_view usage_sql = R"(
    SELECT operation_type,
           CASE WHEN response_status IS NULL THEN 'none'
                ELSE (response_status / 100)::text || 'xx' END AS status_class,
           count(*) AS requests
    FROM custom_gpt_audit_logs
    WHERE application_id = $1 AND created_at >= now() - $2::bigint * interval '1 second'
    GROUP BY 1, 2
    ORDER BY 1, 2)";

application application_at(const postgres::result& rows, std::size_t row) {
  const auto text = [&](std::string_view column) {
    return std::string(rows.value(row, rows.column(column)));
  };
  return {.id = text("id"),
          .name = text("name"),
          .client_id = text("client_id"),
          .scopes = strings_from_json(text("scopes")),
          .rate_limit_per_minute = std::stoi(text("rate_limit_per_minute")),
          .redirect_uris = strings_from_json(text("redirect_uris")),
          .status = text("status"),
          .token_version = std::stoll(text("token_version")),
          .registration = text("registration"),
          .public_client = text("public_client") == "t",
          .created_at = text("created_at"),
          .updated_at = text("updated_at"),
          .last_used_at = rows.get(row, rows.column("last_used_at"))};
}

postgres::param optional_json_array(const std::optional<std::vector<std::string>>& values) {
  return values ? postgres::param(json_array_of(*values)) : std::nullopt;
}

}  // namespace

asio::awaitable<std::vector<application>> list_applications(postgres::pool& database) {
  co_return all_rows(co_await database.query(select_all_sql), application_at);
}

asio::awaitable<std::optional<application>> find_application(postgres::pool& database,
                                                             std::string reference) {
  std::vector<postgres::param> params{std::move(reference)};
  co_return first_row(co_await database.query(select_one_sql, std::move(params)), application_at);
}

asio::awaitable<application> insert_application(postgres::pool& database, new_application fields) {
  std::vector<postgres::param> params{std::move(fields.name),
                                      std::move(fields.client_id),
                                      std::move(fields.client_secret_hash),
                                      json_array_of(fields.scopes),
                                      std::to_string(fields.rate_limit_per_minute),
                                      json_array_of(fields.redirect_uris)};
  const auto rows = co_await database.query(insert_sql, std::move(params));
  co_return application_at(rows, 0);
}

asio::awaitable<std::optional<application>> update_application(postgres::pool& database,
                                                               std::string reference,
                                                               application_changes changes) {
  std::vector<postgres::param> params{
      std::move(reference),
      std::move(changes.name),
      optional_json_array(changes.scopes),
      changes.rate_limit_per_minute
          ? postgres::param(std::to_string(*changes.rate_limit_per_minute))
          : std::nullopt,
      optional_json_array(changes.redirect_uris),
      std::move(changes.status)};
  const auto rows = co_await database.query(update_sql, std::move(params));
  co_return first_row(rows, application_at);
}

asio::awaitable<std::optional<application>> replace_client_secret(postgres::pool& database,
                                                                  std::string reference,
                                                                  std::string client_secret_hash) {
  std::vector<postgres::param> params{std::move(reference), std::move(client_secret_hash)};
  co_return first_row(co_await database.query(replace_secret_sql, std::move(params)),
                      application_at);
}

asio::awaitable<std::optional<std::string>> delete_application(postgres::pool& database,
                                                               std::string reference) {
  std::vector<postgres::param> params{std::move(reference)};
  const auto rows = co_await database.query(delete_sql, std::move(params));
  co_return rows.rows() == 0 ? std::nullopt : rows.get(0, 0);
}

asio::awaitable<std::vector<usage_count>> application_usage(postgres::pool& database,
                                                            std::string application_id,
                                                            std::chrono::seconds window) {
  std::vector<usage_count> counts;
  // The audit log has row-level security keyed on app.application_id for the runtime role.
  // Reading it inside the pool's application transaction works under whichever role the CLI
  // connects as, and shows exactly what the policy lets that application's requests see; the
  // WHERE clause keeps the count right for a role that bypasses RLS too.
  co_await database.application_transaction(
      application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
        std::vector<postgres::param> params{application_id, std::to_string(window.count())};
        const auto rows = co_await lease.query(usage_sql, std::move(params));
        for (std::size_t row = 0; row < rows.rows(); ++row) {
          counts.push_back({.operation_type = std::string(rows.value(row, 0)),
                            .status_class = std::string(rows.value(row, 1)),
                            .requests = std::stoll(std::string(rows.value(row, 2)))});
        }
      });
  co_return counts;
}

json::object to_json(const application& app) {
  json::array scopes(app.scopes.begin(), app.scopes.end());
  json::array redirect_uris(app.redirect_uris.begin(), app.redirect_uris.end());
  return {{"id", app.id},
          {"name", app.name},
          {"client_id", app.client_id},
          {"status", app.status},
          {"scopes", std::move(scopes)},
          {"rate_limit_per_minute", app.rate_limit_per_minute},
          {"redirect_uris", std::move(redirect_uris)},
          {"token_version", app.token_version},
          {"registration", app.registration},
          {"public_client", app.public_client},
          {"created_at", app.created_at},
          {"updated_at", app.updated_at},
          {"last_used_at", text_or_null(app.last_used_at)}};
}

}  // namespace gpt_adapter::admin
