#include "tools/admin/end_user_store.hpp"

#include "tools/admin/json_output.hpp"
#include "tools/admin/store_sql.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;
using postgres::param_list;

constexpr std::string_view selected_columns = R"(
  id::text, username, status,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  to_char(last_sign_in_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))";

// Ids are UUIDs, usernames free text: comparing id as text accepts either without a cast error.
constexpr std::string_view reference_condition = "(id::text = $1 OR username = $1)";

const std::string select_all_sql =
    sql({"SELECT", selected_columns, " FROM custom_gpt_end_users ORDER BY created_at, id"});
const std::string insert_sql =
    sql({"INSERT INTO custom_gpt_end_users (username, password_hash) VALUES ($1, $2) RETURNING",
         selected_columns});
const std::string status_sql =
    sql({"UPDATE custom_gpt_end_users SET status = $2, updated_at = now() WHERE ",
         reference_condition, " RETURNING", selected_columns});
const std::string password_sql =
    sql({"UPDATE custom_gpt_end_users SET password_hash = $2, updated_at = now() WHERE ",
         reference_condition, " RETURNING", selected_columns});

constexpr std::string_view revoke_sessions_sql = R"sql(
UPDATE custom_gpt_sessions SET revoked_at = now(), revoked_reason = $2
 WHERE end_user_id = $1 AND application_id = $3::uuid AND revoked_at IS NULL
 RETURNING access_token_id, ceil(extract(epoch FROM access_token_expires_at - now()))::bigint)sql";

end_user row_to_user(const postgres::result& rows, std::size_t row) {
  return {.id = std::string(rows.value(row, 0)),
          .username = std::string(rows.value(row, 1)),
          .status = std::string(rows.value(row, 2)),
          .created_at = std::string(rows.value(row, 3)),
          .updated_at = std::string(rows.value(row, 4)),
          .last_sign_in_at = rows.get(row, 5)};
}

}  // namespace

asio::awaitable<std::vector<end_user>> list_end_users(postgres::pool& database) {
  co_return all_rows(co_await database.query(select_all_sql), row_to_user);
}

asio::awaitable<end_user> insert_end_user(postgres::pool& database, std::string username,
                                          std::string password_hash) {
  const auto rows = co_await database.query(insert_sql, param_list(username, password_hash));
  co_return row_to_user(rows, 0);
}

asio::awaitable<std::optional<end_user>> set_end_user_status(postgres::pool& database,
                                                             std::string reference,
                                                             std::string status) {
  const auto rows = co_await database.query(status_sql, param_list(reference, status));
  co_return first_row(rows, row_to_user);
}

asio::awaitable<std::optional<end_user>> replace_end_user_password(postgres::pool& database,
                                                                   std::string reference,
                                                                   std::string password_hash) {
  const auto rows = co_await database.query(password_sql, param_list(reference, password_hash));
  co_return first_row(rows, row_to_user);
}

asio::awaitable<std::vector<live_access_token>> revoke_end_user_sessions(postgres::pool& database,
                                                                         std::string end_user_id,
                                                                         std::string reason) {
  std::vector<live_access_token> alive;
  const auto applications = co_await database.query("SELECT id::text FROM custom_gpt_applications");
  for (std::size_t application = 0; application < applications.rows(); ++application) {
    // The application is named in the statement too: the CLI often runs as the schema owner,
    // a superuser, to whom row-level security does not apply.
    const std::string application_id(applications.value(application, 0));
    co_await database.application_transaction(
        application_id, [&](postgres::connection_lease& lease) -> asio::awaitable<void> {
          const auto rows = co_await lease.query(revoke_sessions_sql,
                                                 param_list(end_user_id, reason, application_id));
          for (std::size_t row = 0; row < rows.rows(); ++row) {
            if (rows.is_null(row, 0) || rows.is_null(row, 1)) {
              continue;
            }
            const std::chrono::seconds remaining(std::stoll(std::string(rows.value(row, 1))));
            if (remaining.count() > 0) {
              alive.push_back({std::string(rows.value(row, 0)), remaining});
            }
          }
        });
  }
  co_return alive;
}

boost::json::object to_json(const end_user& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"status", user.status},
          {"created_at", user.created_at},
          {"updated_at", user.updated_at},
          {"last_sign_in_at", text_or_null(user.last_sign_in_at)}};
}

}  // namespace gpt_adapter::admin
