#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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

// The same fixed windows counted by this process alone, for while Redis is unreachable: each
// replica then allows the whole limit, which still stops credential stuffing. Thread-safe; once
// it holds `prune_above` subjects it forgets the windows that have ended.
class local_attempt_counter {
 public:
  using clock = std::chrono::steady_clock;

  explicit local_attempt_counter(std::size_t prune_above = 10000) : prune_above_(prune_above) {}

  attempt_count count(std::string_view subject, clock::time_point now);
  std::size_t subjects() const;

 private:
  struct window {
    clock::time_point ends;
    long long attempts = 0;
  };

  std::size_t prune_above_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, window> windows_;
};

}  // namespace gpt_adapter::api::oauth
