#include "tools/memory-bank-dev/dev_http.hpp"

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/http/request_id.hpp"
#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::memory_bank_dev {

http::response json_answer(const http::request_context& context, boost::beast::http::status code,
                           const boost::json::value& body) {
  http::response answer{code, context.message.version()};
  answer.set(boost::beast::http::field::content_type, "application/json");
  // The Memory Bank's own id for the call, distinct from the caller's X-Request-ID.
  answer.set("Request-Id", "mbdev-" + http::generate_request_id());
  answer.body() = boost::json::serialize(body);
  answer.prepare_payload();
  return answer;
}

std::map<std::string, std::string> query_parameters(std::string_view query) {
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto equals = pair.find('=');
    const auto name = text::percent_decode(pair.substr(0, equals), text::plus_sign::space);
    const auto value = text::percent_decode(
        equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1),
        text::plus_sign::space);
    if (name && value) {
      parameters[*name] = *value;
    }
  }
  return parameters;
}

std::optional<std::string> string_at(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value != nullptr && value->is_string()) {
    return std::string(value->as_string());
  }
  return std::nullopt;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<boost::json::value> parsed_body(const http::request_context& context) {
  boost::system::error_code error;
  auto value = boost::json::parse(context.message.body(), error);
  if (error) {
    return std::nullopt;
  }
  return value;
}

}  // namespace gpt_adapter::memory_bank_dev
