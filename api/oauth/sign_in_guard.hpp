#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/redis/client.hpp"

// The guards of the authorization and token endpoints that live in Redis, shared by every
// replica: the sign-in form's CSRF tokens and the attempt counters against credential stuffing.
namespace gpt_adapter::api::oauth {

// A CSRF token for one rendering of the sign-in form, bound to the browser (the SHA-256 of a
// random cookie value set with the form) and to the authorization request it was rendered for
// (`request_digest`). Single use, valid for `lifetime`. Throws redis::error.
boost::asio::awaitable<std::string> issue_csrf_token(redis::client& redis,
                                                     std::string cookie_digest,
                                                     std::string request_digest,
                                                     std::chrono::seconds lifetime);

// Consumes the token (GETDEL) and tells whether it was issued for this cookie and request. A
// token is never accepted twice, whatever the answer. Throws redis::error.
boost::asio::awaitable<bool> consume_csrf_token(redis::client& redis, std::string token,
                                                std::string cookie_digest,
                                                std::string request_digest);

struct attempt_count {
  long long attempts = 0;                   // in the current window, this one included
  std::chrono::seconds window_remaining{};  // until the counter starts again
};

// Counts one attempt against `subject` (e.g. "client:<id>" or "address:<ip>") in a fixed
// one-minute window: one atomic INCR, with the expiry set by the first attempt of the window.
// Throws redis::error.
boost::asio::awaitable<attempt_count> count_attempt(redis::client& redis, std::string_view subject);

}  // namespace gpt_adapter::api::oauth
