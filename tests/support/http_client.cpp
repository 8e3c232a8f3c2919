#include "tests/support/http_client.hpp"

#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

namespace gpt_adapter::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct http_connection::state {
  net::io_context context;
  beast::tcp_stream stream{context};
  beast::flat_buffer buffer;
};

namespace {

http_reply to_reply(bhttp::response<bhttp::string_body>& message) {
  http_reply reply;
  reply.status = message.result_int();
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    reply.headers[name] = std::string(field.value());
  }
  reply.body = std::move(message.body());
  return reply;
}

}  // namespace

std::string http_reply::header(const std::string& lower_case_name) const {
  const auto found = headers.find(lower_case_name);
  return found == headers.end() ? std::string() : found->second;
}

boost::json::value http_reply::json() const {
  return boost::json::parse(body);
}

http_connection::http_connection(unsigned short port) : state_(std::make_unique<state>()) {
  state_->stream.expires_after(std::chrono::seconds(10));
  state_->stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
}

http_connection::~http_connection() {
  boost::system::error_code ignored;
  state_->stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
}

http_reply http_connection::request(const http_call& call) {
  bhttp::request<bhttp::string_body> message{call.method, call.target, 11};
  message.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : call.headers) {
    message.set(name, value);
  }
  message.body() = call.body;
  message.prepare_payload();
  state_->stream.expires_after(call.timeout);
  bhttp::write(state_->stream, message);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(state_->stream, state_->buffer, parser);
  auto response = parser.release();
  return to_reply(response);
}

http_reply http_connection::raw(const std::string& bytes) {
  state_->stream.expires_after(std::chrono::seconds(10));
  net::write(state_->stream, net::buffer(bytes));
  bhttp::response<bhttp::string_body> response;
  bhttp::read(state_->stream, state_->buffer, response);
  return to_reply(response);
}

bool http_connection::closed_by_peer(std::chrono::milliseconds timeout) {
  state_->stream.expires_after(timeout);
  char byte = 0;
  boost::system::error_code error;
  state_->stream.read_some(net::buffer(&byte, 1), error);
  return error == net::error::eof || error == net::error::connection_reset;
}

http_reply http_request(unsigned short port, const http_call& call) {
  http_connection connection(port);
  auto call_closing = call;
  call_closing.headers.emplace_back("Connection", "close");
  return connection.request(call_closing);
}

}  // namespace gpt_adapter::testing
