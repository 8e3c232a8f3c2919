#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/http/router.hpp"

// Cross-origin access for browsers, granted to exactly the configured origins
// (CORS_ALLOWED_ORIGINS) and to no one when none are configured. The server kit applies it to
// every answer of a router that has a policy: a preflight (OPTIONS with Origin and
// Access-Control-Request-Method) for a path the router serves is answered 204 for an allowed
// origin; every other answer to an allowed origin, errors included, says the origin may read it.
// A request from any other origin gets no CORS headers, so the browser keeps the answer from the
// page.
namespace gpt_adapter::http {

// The request headers a page may send (Access-Control-Allow-Headers), the MCP transport's among
// them (a browser-based MCP client such as the MCP Inspector).
inline constexpr std::string_view cors_allowed_headers =
    "Authorization, Content-Type, Idempotency-Key, X-Request-ID, MCP-Protocol-Version, "
    "Mcp-Method, Mcp-Name";
// The response headers a page may read besides the safelisted ones
// (Access-Control-Expose-Headers); WWW-Authenticate tells an MCP client where to sign in.
inline constexpr std::string_view cors_exposed_headers =
    "X-Request-ID, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate";
// How long a browser may cache a preflight's answer (Access-Control-Max-Age), in seconds.
inline constexpr int cors_max_age_seconds = 600;

// Whether `text` is an origin as a browser sends it: http or https, a host name or IPv4 address,
// an optional port, nothing else (no path, no trailing slash), in lower case.
bool is_origin(std::string_view text);

// The value of the Origin field among raw header lines ("Name: value" CRLF each, a request line
// among them is skipped), up to the blank line that ends a header; empty when none is complete.
// For a request refused before its header was parsed whole (too large or malformed): the fields
// the parser had not reached are still raw bytes.
std::string_view origin_in_header_lines(std::string_view lines);

class cors_policy {
 public:
  // CORS off.
  cors_policy() = default;
  // Throws std::invalid_argument naming the first entry that is not an origin.
  explicit cors_policy(std::vector<std::string> allowed_origins);

  // Parses a comma-separated list (spaces around entries ignored, empty entries not allowed);
  // an empty or blank text is CORS off. Throws std::invalid_argument as the constructor does.
  static cors_policy parse(std::string_view origins);

  bool enabled() const { return !origins_.empty(); }
  const std::vector<std::string>& origins() const { return origins_; }
  // Exact comparison: no wildcards, no case folding.
  bool allows(std::string_view origin) const;

  // The 204 answer to `preflight` when it is a preflight from an allowed origin, for a path the
  // router serves with `methods`; false (and `answer` untouched) for any other request.
  bool answer_preflight(const request& preflight, const std::vector<verb>& methods,
                        response& answer) const;
  // Marks an answer readable by `origin` (the request's Origin, empty when it had none) when that
  // origin is allowed. With CORS on, every answer also varies by Origin, so that no cache hands
  // one origin's answer to another.
  void decorate(std::string_view origin, response& answer) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace gpt_adapter::http
