#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/redis/client.hpp"

// Authorization codes (RFC 6749 §4.1.2) live in Redis, not PostgreSQL: they are short-lived
// (a minute by default), every replica must see them, expiry is Redis's TTL rather than a
// cleanup job, and single use is one atomic script. The key is the SHA-256 of the code, so a
// Redis dump holds no usable code.
namespace gpt_adapter::api::oauth {

// What the authorization request granted, to be checked and turned into tokens at the token
// endpoint.
struct authorization_grant {
  std::string application_id;
  std::string client_id;
  std::string redirect_uri;
  std::string end_user_id;
  std::string scope;                  // canonical, space-separated
  std::string code_challenge;         // empty: the request carried no PKCE challenge
  std::string code_challenge_method;  // "S256" or "plain" when there is a challenge
  std::string resource;               // the tokens' audience (RFC 8707); empty for the Actions API

  bool operator==(const authorization_grant&) const = default;
};

std::string encode_authorization_grant(const authorization_grant& grant);
// std::nullopt for anything that is not an encoded grant.
std::optional<authorization_grant> decode_authorization_grant(std::string_view text);

// `{gpt-adapter}:oauth-code:<sha256 hex of the code>`.
std::string authorization_code_key(std::string_view code);

// Stores `grant` under a fresh random code (256 bits) that expires after `lifetime`; returns
// the code. Throws redis::error when Redis cannot be reached.
boost::asio::awaitable<std::string> store_authorization_code(redis::client& redis,
                                                             const authorization_grant& grant,
                                                             std::chrono::seconds lifetime);

struct code_redemption {
  authorization_grant grant;
  // Set when the code was redeemed before: what that first redemption recorded (the tokens it
  // produced), so a replay can revoke them (RFC 6749 §4.1.2).
  std::optional<std::string> earlier_redemption;
};

// Atomically reads the code's grant and, when it was issued to `client_id`, marks it redeemed
// with `redemption` (a description of the tokens this redemption is about to issue). The first
// redemption keeps the record for `remember_for` more, so a replay within that time is
// recognised. A code of another client comes back with its grant (whose client_id differs) and
// is left as it was. std::nullopt for an unknown or expired code.
boost::asio::awaitable<std::optional<code_redemption>> redeem_authorization_code(
    redis::client& redis, std::string code, std::string client_id, std::string redemption,
    std::chrono::seconds remember_for);

}  // namespace gpt_adapter::api::oauth
