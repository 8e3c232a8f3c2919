#include "common/http/problem.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

namespace gpt_adapter::http {

response make_problem_response(const problem& details, std::string_view instance,
                               std::string_view request_id, unsigned http_version) {
  namespace bhttp = boost::beast::http;
  boost::json::object body = details.extensions;
  body["type"] = details.type;
  body["title"] =
      details.title.empty() ? std::string(bhttp::obsolete_reason(details.status)) : details.title;
  body["status"] = static_cast<int>(details.status);
  if (!details.detail.empty()) {
    body["detail"] = details.detail;
  }
  body["instance"] = instance;
  body["request_id"] = request_id;

  response answer{details.status, http_version};
  answer.set(bhttp::field::content_type, problem_content_type);
  answer.set(bhttp::field::cache_control, "no-store");
  for (const auto& [name, value] : details.headers) {
    answer.set(name, value);
  }
  answer.body() = boost::json::serialize(body);
  answer.prepare_payload();
  return answer;
}

}  // namespace gpt_adapter::http
