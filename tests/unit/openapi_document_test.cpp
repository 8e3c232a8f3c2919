#include "api/openapi/openapi_document.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "api/memory/memory_api_docs.hpp"
#include "api/memory/memory_requests.hpp"
#include "tests/support/openapi_rules.hpp"

namespace openapi = gpt_adapter::api::openapi;
namespace memory = gpt_adapter::api::memory;
namespace json = boost::json;
using gpt_adapter::testing::openapi_violations;

namespace {

json::object api_document() {
  return openapi::build_document(
      memory::api_document_settings("https://memory.example.com", "1.2.3"),
      memory::api_operations());
}

const json::object& operation(const json::object& document, std::string_view path,
                              std::string_view method) {
  return document.at("paths").at(path).at(method).as_object();
}

}  // namespace

TEST_CASE("the API's document follows OpenAPI 3.1 and ChatGPT's import limits", "[openapi]") {
  const auto document = api_document();
  CHECK(openapi_violations(document).empty());
  CHECK(openapi::gpt_action_violations(document).empty());
  for (const auto& line : openapi_violations(document))
    UNSCOPED_INFO(line);

  CHECK(document.at("openapi").as_string() == "3.1.0");
  CHECK(document.at("servers").at(0).at("url").as_string() == "https://memory.example.com");
  CHECK(document.at("info").at("version").as_string() == "1.2.3");
  CHECK(document.at("info").at("description").as_string().size() > 100);

  const auto& flow = document.at("components")
                         .at("securitySchemes")
                         .at("oauth2")
                         .at("flows")
                         .at("authorizationCode");
  CHECK(flow.at("authorizationUrl").as_string() == "https://memory.example.com/oauth/authorize");
  CHECK(flow.at("tokenUrl").as_string() == "https://memory.example.com/oauth/token");
  CHECK(flow.at("scopes").as_object().contains("memories:read"));
  CHECK(flow.at("scopes").as_object().contains("memories:write"));
}

TEST_CASE("reads are not consequential, deleting is, and each operation names its scope",
          "[openapi]") {
  const auto document = api_document();
  std::size_t operations = 0;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      ++operations;
      INFO(std::string(method) + " " + std::string(path));
      const bool consequential = op.at("x-openai-isConsequential").as_bool();
      if (method == "get")
        CHECK_FALSE(consequential);
      if (method == "delete")
        CHECK(consequential);
      CHECK(op.at("security").as_array().size() == 2);
    }
  }
  CHECK(operations == memory::api_operations().size());
  CHECK_FALSE(
      operation(document, "/api/v1/search", "post").at("x-openai-isConsequential").as_bool());
  CHECK(operation(document, "/api/v1/search", "post").at("security").at(0).at("oauth2").at(0) ==
        "memories:read");
  CHECK(operation(document, "/api/v1/memories/{memory_id}", "delete")
            .at("security")
            .at(0)
            .at("oauth2")
            .at(0) == "memories:write");
}

TEST_CASE("the request schemas carry the validators' limits", "[openapi]") {
  const auto document = api_document();
  const auto& search = document.at("components").at("schemas").at("SearchRequest");
  CHECK(search.at("properties").at("query").at("maxLength").as_uint64() == memory::max_query_chars);
  CHECK(search.at("properties").at("limit").at("maximum").as_int64() == memory::max_search_limit);
  const auto& create = document.at("components").at("schemas").at("CreateMemoryRequest");
  CHECK(create.at("properties").at("content").at("maxLength").as_uint64() ==
        memory::max_content_chars);
}

TEST_CASE("the import-limit check finds each violation", "[openapi]") {
  auto operations = memory::api_operations();
  auto settings = memory::api_document_settings("https://m.example.com", "1");

  auto long_summary = operations;
  long_summary[0].summary = std::string(openapi::max_operation_text_chars + 1, 's');
  CHECK(openapi::gpt_action_violations(openapi::build_document(settings, long_summary)).size() ==
        1);
  auto exactly_at_limit = operations;
  exactly_at_limit[0].description = std::string(openapi::max_operation_text_chars, 'd');
  CHECK(
      openapi::gpt_action_violations(openapi::build_document(settings, exactly_at_limit)).empty());

  auto long_parameter = operations;
  long_parameter[2].parameters[0].description =
      std::string(openapi::max_parameter_description_chars + 1, 'p');
  CHECK(openapi::gpt_action_violations(openapi::build_document(settings, long_parameter)).size() ==
        1);

  auto no_id = operations;
  no_id[1].operation_id.clear();
  CHECK(openapi::gpt_action_violations(openapi::build_document(settings, no_id)).size() == 1);

  std::vector<openapi::operation_doc> many;
  for (std::size_t i = 0; i <= openapi::max_operations; ++i) {
    auto copy = operations[0];
    copy.path = "/api/v1/op" + std::to_string(i);
    copy.operation_id = "op" + std::to_string(i);
    many.push_back(copy);
  }
  CHECK(openapi::gpt_action_violations(openapi::build_document(settings, many)).size() == 1);
}

TEST_CASE("the OpenAPI rules find undeclared path parameters and dangling references",
          "[openapi]") {
  auto operations = memory::api_operations();
  auto settings = memory::api_document_settings("https://m.example.com", "1");
  auto undeclared = operations;
  undeclared[3].parameters.clear();  // GET /api/v1/memories/{memory_id}
  CHECK(openapi_violations(openapi::build_document(settings, undeclared)).size() == 1);

  auto dangling = operations;
  dangling[0].request_schema = "NoSuchSchema";
  CHECK(openapi_violations(openapi::build_document(settings, dangling)).size() == 1);

  auto duplicate = operations;
  duplicate[1].operation_id = duplicate[0].operation_id;
  CHECK(openapi_violations(openapi::build_document(settings, duplicate)).size() == 1);
}
