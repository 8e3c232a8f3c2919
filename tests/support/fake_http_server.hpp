#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "common/metrics/registry.hpp"

namespace gpt_adapter::testing {

// One request as a fake server received it.
struct recorded_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& lower_case_name) const;
  // The body parsed as JSON (null when empty); throws when it is not JSON.
  boost::json::value json() const;
};

struct canned_response {
  int status = 200;
  boost::json::value body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A scripted HTTP server on common/http/server, on its own thread, for standing in for a
// service in tests (the Memory Bank dialects, say): routes answer with what the test says and
// every request is recorded, so a test can assert the exact paths, headers and bodies sent.
class fake_http_server {
 public:
  using responder = std::function<canned_response(const recorded_request&)>;

  fake_http_server();
  ~fake_http_server();
  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;

  // Adds a route (router patterns: "/v1/memories/{id}/"); call before start().
  void on(boost::beast::http::verb method, std::string pattern, responder respond);
  // Listens on a free loopback port.
  void start();

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<recorded_request> requests() const;

 private:
  boost::asio::io_context context_;
  metrics::registry metrics_;
  std::shared_ptr<http::router> routes_ = std::make_shared<http::router>();
  std::shared_ptr<http::server> server_;
  std::thread thread_;
  unsigned short port_ = 0;
  mutable std::mutex mutex_;
  std::vector<recorded_request> requests_;
};

}  // namespace gpt_adapter::testing
