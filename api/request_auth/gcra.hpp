#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

// The Generic Cell Rate Algorithm: `limit` requests per `window`, spaced by an emission interval
// of window/limit, with a burst of up to the whole limit. Its only state is the theoretical
// arrival time (TAT) of the next request, which is what makes one atomic Redis script enough to
// enforce it across replicas. The Redis script (rate_limiter.cpp) and this function compute the
// same thing; this one is the per-process fallback and what the unit tests pin down.
namespace gpt_adapter::api::request_auth {

inline constexpr std::chrono::seconds rate_limit_window{60};

struct rate_limit_decision {
  bool allowed = false;
  std::int64_t limit = 0;      // requests per window
  std::int64_t remaining = 0;  // further requests allowed right now
  // Until the whole quota is available again.
  std::chrono::milliseconds reset{0};
  // Until the next request would be allowed; zero when this one was.
  std::chrono::milliseconds retry_after{0};
};

struct gcra_result {
  rate_limit_decision decision;
  double tat_ms = 0;  // the state to keep: unchanged when the request was refused
};

// One request at `now_ms` against the stored TAT (std::nullopt: none stored, or expired).
gcra_result gcra_apply(std::optional<double> tat_ms, double now_ms, std::int64_t limit,
                       std::chrono::milliseconds window);

// `"default";q=<limit>;w=<window seconds>` (IETF draft httpapi-ratelimit-headers).
std::string ratelimit_policy_header(std::int64_t limit, std::chrono::seconds window);
// `"default";r=<remaining>;t=<seconds until reset, rounded up>`.
std::string ratelimit_header(const rate_limit_decision& decision);
// Whole seconds to wait, rounded up, at least 1.
std::int64_t retry_after_seconds(const rate_limit_decision& decision);

}  // namespace gpt_adapter::api::request_auth
