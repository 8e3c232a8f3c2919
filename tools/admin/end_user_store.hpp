#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "common/postgres/pool.hpp"

// The admin CLI's reads and writes of custom_gpt_end_users: the accounts that sign in on the
// authorization page. Passwords arrive here already hashed.
namespace gpt_adapter::admin {

struct end_user {
  std::string id;
  std::string username;
  std::string status;
  std::string created_at;  // ISO 8601 UTC
  std::string updated_at;
  std::optional<std::string> last_sign_in_at;
};

boost::asio::awaitable<std::vector<end_user>> list_end_users(postgres::pool& database);
// Throws postgres::error with sqlstate 23505 when the username is taken.
boost::asio::awaitable<end_user> insert_end_user(postgres::pool& database, std::string username,
                                                 std::string password_hash);
// `reference` is the user's id or username; nullopt when none matches.
boost::asio::awaitable<std::optional<end_user>> set_end_user_status(postgres::pool& database,
                                                                    std::string reference,
                                                                    std::string status);
boost::asio::awaitable<std::optional<end_user>> replace_end_user_password(
    postgres::pool& database, std::string reference, std::string password_hash);

// An access token issued with a refresh token that was just revoked, alive for `remaining` yet.
struct live_access_token {
  std::string token_id;  // its jti
  std::chrono::seconds remaining{};
};

// Ends the end user's sessions: revokes the refresh-token families of `end_user_id` in every
// application and returns the access tokens issued with them that have not expired, for the
// deny-list. Row-level security confines custom_gpt_sessions to one application per
// transaction, hence one transaction per application.
boost::asio::awaitable<std::vector<live_access_token>> revoke_end_user_sessions(
    postgres::pool& database, std::string end_user_id, std::string reason);

boost::json::object to_json(const end_user& user);

}  // namespace gpt_adapter::admin
