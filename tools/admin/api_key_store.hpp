#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "common/postgres/pool.hpp"

// The admin CLI's reads and writes of custom_gpt_api_keys. Only a key's SHA-256 and its first
// characters are ever stored or shown.
namespace gpt_adapter::admin {

struct api_key_row {
  std::string id;
  std::string application_id;
  std::string client_id;
  std::string name;
  std::string key_prefix;
  std::vector<std::string> scopes;
  std::string created_at;  // ISO 8601 UTC
  std::optional<std::string> last_used_at;
  std::optional<std::string> revoked_at;
};

struct new_api_key {
  std::string application_id;
  std::string name;
  std::string key_hash;
  std::string key_prefix;
  std::vector<std::string> scopes;
};

boost::asio::awaitable<api_key_row> insert_api_key(postgres::pool& database, new_api_key fields);
// Every key, or those of one application (by its id), oldest first.
boost::asio::awaitable<std::vector<api_key_row>> list_api_keys(
    postgres::pool& database, std::optional<std::string> application_id);
// Marks the key revoked; nullopt if no key has this id. Revoking a revoked key keeps its first
// revocation time.
boost::asio::awaitable<std::optional<api_key_row>> revoke_api_key(postgres::pool& database,
                                                                  std::string key_id);

boost::json::object to_json(const api_key_row& key);

}  // namespace gpt_adapter::admin
