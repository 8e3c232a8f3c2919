#pragma once

#include <stdexcept>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>

// The one error type of every HTTP surface: RFC 9457 problem details
// (`application/problem+json`), always carrying the request id.
namespace gpt_adapter::http {

using response = boost::beast::http::response<boost::beast::http::string_body>;

struct problem {
  boost::beast::http::status status = boost::beast::http::status::internal_server_error;
  std::string type = "about:blank";
  std::string title;               // defaults to the status reason phrase
  std::string detail;              // what went wrong for this request, safe to show to the caller
  boost::json::object extensions;  // e.g. "errors" for field validation
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Allow, Retry-After
};

// Thrown by handlers to answer with a problem; the server turns it into the response.
class problem_error : public std::runtime_error {
 public:
  explicit problem_error(problem details)
      : std::runtime_error(details.detail), details_(std::move(details)) {}
  const problem& details() const { return details_; }

 private:
  problem details_;
};

inline constexpr std::string_view problem_content_type = "application/problem+json";

// Builds the response: JSON body with type, title, status, detail, instance, request_id and
// the extensions; `instance` is the request target's path.
response make_problem_response(const problem& details, std::string_view instance,
                               std::string_view request_id, unsigned http_version);

}  // namespace gpt_adapter::http
