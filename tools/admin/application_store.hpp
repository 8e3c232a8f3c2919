#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "common/postgres/pool.hpp"

// The admin CLI's reads and writes of custom_gpt_applications and its audit log. Every
// statement is parameterised; arrays travel as JSON so no value is ever spliced into SQL.
namespace gpt_adapter::admin {

struct application {
  std::string id;
  std::string name;
  std::string client_id;
  std::vector<std::string> scopes;
  int rate_limit_per_minute = 0;
  std::vector<std::string> redirect_uris;
  std::string status;
  long long token_version = 0;
  // How it was registered: operator (this CLI), dynamic (RFC 7591, by the client itself) or
  // metadata_document (its client_id is the URL of its OAuth Client ID Metadata Document).
  std::string registration = "operator";
  bool public_client = false;  // no secret; signs users in with PKCE alone
  std::string created_at;      // ISO 8601 UTC
  std::string updated_at;
  std::optional<std::string> last_used_at;
};

struct new_application {
  std::string name;
  std::string client_id;
  std::string client_secret_hash;
  std::vector<std::string> scopes;
  int rate_limit_per_minute = 0;
  std::vector<std::string> redirect_uris;
};

// Fields to change; unset ones keep their value.
struct application_changes {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> scopes;
  std::optional<int> rate_limit_per_minute;
  std::optional<std::vector<std::string>> redirect_uris;
  std::optional<std::string> status;
};

// Requests of one operation type answered with one status class ("2xx", "4xx"...).
struct usage_count {
  std::string operation_type;
  std::string status_class;
  long long requests = 0;
};

// `reference` is an application's id or its client_id.
boost::asio::awaitable<std::vector<application>> list_applications(postgres::pool& database);
boost::asio::awaitable<std::optional<application>> find_application(postgres::pool& database,
                                                                    std::string reference);
boost::asio::awaitable<application> insert_application(postgres::pool& database,
                                                       new_application fields);
// Disabling an application also bumps its token_version, which revokes its issued tokens.
boost::asio::awaitable<std::optional<application>> update_application(postgres::pool& database,
                                                                      std::string reference,
                                                                      application_changes changes);
// Stores a new secret hash and bumps token_version: tokens issued before stop working.
boost::asio::awaitable<std::optional<application>> replace_client_secret(
    postgres::pool& database, std::string reference, std::string client_secret_hash);
// The deleted application's id, or nullopt if none matched.
boost::asio::awaitable<std::optional<std::string>> delete_application(postgres::pool& database,
                                                                      std::string reference);
boost::asio::awaitable<std::vector<usage_count>> application_usage(postgres::pool& database,
                                                                   std::string application_id,
                                                                   std::chrono::seconds window);

boost::json::object to_json(const application& app);

}  // namespace gpt_adapter::admin
