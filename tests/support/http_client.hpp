#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

namespace gpt_adapter::testing {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& lower_case_name) const;
  boost::json::value json() const;
};

struct http_call {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};
};

// One request on a fresh connection to 127.0.0.1:port; throws on connection failure.
http_reply http_request(unsigned short port, const http_call& call);
inline http_reply http_get(unsigned short port, const std::string& target) {
  return http_request(port, {.target = target});
}

// A kept-alive connection for several requests in a row.
class http_connection {
 public:
  explicit http_connection(unsigned short port);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  http_reply request(const http_call& call);
  // Sends raw bytes and reads one response (for malformed or oversized requests).
  http_reply raw(const std::string& bytes);
  // True when the server has closed the connection (a read returns EOF or reset).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace gpt_adapter::testing
