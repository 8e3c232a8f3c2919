#include "tests/support/fake_http_server.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace gpt_adapter::testing {

std::string recorded_request::header(const std::string& lower_case_name) const {
  const auto found = headers.find(lower_case_name);
  return found != headers.end() ? found->second : std::string();
}

boost::json::value recorded_request::json() const {
  if (body.empty()) {
    return nullptr;
  }
  return boost::json::parse(body);
}

fake_http_server::fake_http_server() = default;

fake_http_server::~fake_http_server() {
  context_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
  server_.reset();
}

void fake_http_server::on(boost::beast::http::verb method, std::string pattern, responder respond) {
  routes_->add(method, std::move(pattern),
               [this, respond = std::move(respond)](
                   http::request_context& context) -> boost::asio::awaitable<http::response> {
                 recorded_request seen{.method = std::string(context.message.method_string()),
                                       .target = std::string(context.message.target()),
                                       .body = context.message.body()};
                 for (const auto& field : context.message) {
                   std::string name(field.name_string());
                   std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
                     return static_cast<char>(std::tolower(c));
                   });
                   seen.headers[name] = std::string(field.value());
                 }
                 {
                   std::lock_guard lock(mutex_);
                   requests_.push_back(seen);
                 }
                 const auto canned = respond(seen);
                 http::response answer{static_cast<boost::beast::http::status>(canned.status),
                                       context.message.version()};
                 answer.set(boost::beast::http::field::content_type, "application/json");
                 for (const auto& [name, value] : canned.headers) {
                   answer.set(name, value);
                 }
                 if (!canned.body.is_null()) {
                   answer.body() = boost::json::serialize(canned.body);
                 }
                 answer.prepare_payload();
                 co_return answer;
               });
}

void fake_http_server::start() {
  server_ = std::make_shared<http::server>(
      context_, config::http_listener_settings{.host = "127.0.0.1", .port = 0}, routes_, metrics_);
  server_->start();
  port_ = server_->port();
  thread_ = std::thread([this] {
    auto work = boost::asio::make_work_guard(context_);
    context_.run();
  });
}

std::vector<recorded_request> fake_http_server::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

}  // namespace gpt_adapter::testing
