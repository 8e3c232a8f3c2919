#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "common/http/problem.hpp"

namespace gpt_adapter::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using verb = boost::beast::http::verb;

// What a handler gets besides the request: the request id (already in the response headers),
// path parameters from `{name}` segments, and the peer address.
struct request_context {
  const request& message;
  std::string request_id;
  std::string_view path;   // target without the query string
  std::string_view query;  // after '?', without it
  std::vector<std::pair<std::string, std::string>> path_params;
  boost::asio::ip::address remote_address;

  std::string_view path_param(std::string_view name) const;
};

class cors_policy;

using handler = std::function<boost::asio::awaitable<response>(request_context&)>;

struct route {
  verb method;
  std::string pattern;  // e.g. "/api/v1/jobs/{request_id}"; also the metrics label
  handler handle;
};

// Maps method + path to a handler. Unknown paths and wrong methods are told apart so the
// server can answer 404 or 405 with `Allow`.
class router {
 public:
  void add(verb method, std::string pattern, handler handle);

  struct match {
    const route* found = nullptr;
    std::vector<std::pair<std::string, std::string>> path_params;
    std::vector<verb> allowed;  // non-empty when the path exists for other methods only
  };
  match find(verb method, std::string_view path) const;

  const std::vector<route>& routes() const { return routes_; }

  // Cross-origin access to every route (see cors.hpp); none by default.
  void set_cors(std::shared_ptr<const cors_policy> policy) { cors_ = std::move(policy); }
  // Null when CORS is off.
  const cors_policy* cors() const { return cors_.get(); }

 private:
  std::vector<route> routes_;
  std::shared_ptr<const cors_policy> cors_;
  std::unordered_map<std::string, std::vector<std::size_t>> exact_;  // path -> route indexes
};

}  // namespace gpt_adapter::http
