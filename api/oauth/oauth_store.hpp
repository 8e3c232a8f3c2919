#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/postgres/pool.hpp"

// The authorization server's reads and writes in PostgreSQL: applications (OAuth clients), end
// users and refresh-token families. Every statement is parameterised; sessions are read and
// written inside application transactions, so row-level security confines a client to its own
// refresh tokens.
namespace gpt_adapter::api::oauth {

struct client_record {
  std::string id;
  std::string name;
  std::string client_id;
  std::string client_secret_hash;
  std::vector<std::string> scopes;
  std::vector<std::string> redirect_uris;
  bool active = false;
  long long token_version = 0;
  bool issue_refresh_for_client_credentials = false;
  // No secret (token_endpoint_auth_method "none"): authenticates with PKCE alone.
  bool public_client = false;
  std::string registration = "operator";  // operator, dynamic or metadata_document
};

// A client that registered itself (new_registered_client::registration says how).
struct new_registered_client {
  std::string name;
  std::string client_id;
  std::string client_secret_hash;  // empty for a public client
  std::vector<std::string> scopes;
  std::vector<std::string> redirect_uris;
  int rate_limit_per_minute = 100;
  std::string registration;  // dynamic or metadata_document
};

// Inserts it; returns its application id, or std::nullopt when a client with that client_id
// exists already (two replicas fetched the same metadata document at once).
boost::asio::awaitable<std::optional<std::string>> insert_registered_client(
    postgres::pool& database, new_registered_client client);

// Refreshes what a client's metadata document says (its name and redirect URIs) when they
// changed; only for registration metadata_document.
boost::asio::awaitable<void> update_metadata_document_client(
    postgres::pool& database, std::string client_id, std::string name,
    std::vector<std::string> redirect_uris);

struct end_user_record {
  std::string id;
  std::string username;
  std::string password_hash;
  bool active = false;
};

boost::asio::awaitable<std::optional<client_record>> find_client(postgres::pool& database,
                                                                 std::string client_id);
boost::asio::awaitable<std::optional<end_user_record>> find_end_user(postgres::pool& database,
                                                                     std::string username);
boost::asio::awaitable<void> record_sign_in(postgres::pool& database, std::string end_user_id);
// Whether the end user with this id exists and is active (for introspection, which must agree
// with bearer authentication about a disabled end user's access tokens).
boost::asio::awaitable<bool> end_user_is_active(postgres::pool& database, std::string end_user_id);

// A new refresh token family (from the code grant, or client credentials when the application
// is configured so): the first token of the family.
struct new_refresh_family {
  std::string family_id;  // a UUID
  std::optional<std::string> end_user_id;
  std::string token_hash;  // sha256 hex of the refresh token
  std::string scope;
  std::chrono::seconds lifetime{};      // absolute, for the whole family
  std::chrono::seconds idle_timeout{};  // from each token's issue
  std::string access_token_id;          // jti of the access token issued with it
  std::chrono::sys_seconds access_token_expires_at{};
  long long token_version = 0;
  std::string resource;  // the access tokens' audience (RFC 8707); empty for the Actions API
};
boost::asio::awaitable<void> insert_refresh_family(postgres::pool& database,
                                                   std::string application_id,
                                                   new_refresh_family family);

// An access token that was issued with a now revoked refresh token and may still be alive.
struct revoked_access_token {
  std::string token_id;
  std::chrono::sys_seconds expires_at{};
};

enum class rotation_status {
  rotated,
  unknown,   // no such refresh token for this client
  reused,    // already rotated: the whole family has just been revoked
  revoked,   // revoked before (reuse, revocation, disabled end user)
  expired,   // absolute or idle expiry passed
  outdated,  // issued before the application's current token version
  end_user_disabled,
  scope_widened,   // the request asked for scopes the family was not granted
  other_resource,  // the request named a resource the family was not granted for
};

struct rotation_request {
  std::string token_hash;
  std::string new_token_hash;
  // Requested narrower scopes (canonical, space-separated); nullopt keeps the family's scope.
  std::optional<std::vector<std::string>> scopes;
  // The resource the request named (token audience, empty for the Actions API); nullopt when it
  // named none, which keeps the family's.
  std::optional<std::string> resource;
  long long current_token_version = 0;
  std::chrono::seconds idle_timeout{};
  std::string access_token_id;
  std::chrono::sys_seconds access_token_expires_at{};
};

struct rotation_result {
  rotation_status status = rotation_status::unknown;
  std::string family_id;
  std::optional<std::string> end_user_id;
  std::string scope;                          // of the new token when rotated
  std::string resource;                       // the family's (new_refresh_family::resource)
  std::vector<revoked_access_token> revoked;  // when reuse revoked the family
};

// Refresh-token rotation in one transaction: the presented token is locked, checked, marked used
// and replaced by a new one of the same family with the same absolute expiry and a fresh idle
// expiry. Presenting a token that was already used revokes the whole family (RFC 9700 §4.14.2).
boost::asio::awaitable<rotation_result> rotate_refresh_token(postgres::pool& database,
                                                             std::string application_id,
                                                             rotation_request request);

// Revokes the family of the refresh token with this hash (RFC 7009); the access tokens issued
// with its tokens are returned for the deny-list. Empty when no token of this client matches.
boost::asio::awaitable<std::vector<revoked_access_token>> revoke_family_of_token(
    postgres::pool& database, std::string application_id, std::string token_hash,
    std::string reason);
// The same by family id (a replayed authorization code revokes what it produced).
boost::asio::awaitable<std::vector<revoked_access_token>> revoke_family(postgres::pool& database,
                                                                        std::string application_id,
                                                                        std::string family_id,
                                                                        std::string reason);

struct refresh_token_state {
  bool active = false;  // not used, revoked, expired or outdated
  std::optional<std::string> end_user_id;
  std::string scope;
  std::chrono::sys_seconds issued_at{};
  std::chrono::sys_seconds expires_at{};
};
// For introspection: the state of this client's refresh token with this hash, if any.
boost::asio::awaitable<std::optional<refresh_token_state>> find_refresh_token(
    postgres::pool& database, std::string application_id, std::string token_hash,
    long long current_token_version);

}  // namespace gpt_adapter::api::oauth
