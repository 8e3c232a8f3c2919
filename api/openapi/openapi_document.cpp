#include "api/openapi/openapi_document.hpp"

#include <algorithm>
#include <cctype>

#include "api/memory/memory_requests.hpp"

namespace gpt_adapter::api::openapi {
namespace {

namespace json = boost::json;

constexpr std::string_view oauth_scheme = "oauth2";
constexpr std::string_view api_key_scheme = "apiKey";

std::string method_name(http::verb method) {
  std::string name(boost::beast::http::to_string(method));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

json::object schema_ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json::object response_object(const response_doc& response) {
  json::object out{{"description", response.description}};
  if (response.schema) {
    const auto content_type = response.problem ? "application/problem+json" : "application/json";
    out["content"] = json::object{{content_type, {{"schema", schema_ref(*response.schema)}}}};
  }
  return out;
}

json::object operation_object(const operation_doc& operation) {
  json::object out{{"operationId", operation.operation_id},
                   {"summary", operation.summary},
                   {"description", operation.description},
                   {"x-openai-isConsequential", operation.consequential}};
  if (!operation.parameters.empty()) {
    json::array parameters;
    for (const auto& parameter : operation.parameters) {
      parameters.push_back(json::object{{"name", parameter.name},
                                        {"in", parameter.in},
                                        {"required", parameter.required},
                                        {"description", parameter.description},
                                        {"schema", parameter.schema}});
    }
    out["parameters"] = std::move(parameters);
  }
  if (operation.request_schema) {
    out["requestBody"] = json::object{
        {"required", true},
        {"content", {{"application/json", {{"schema", schema_ref(*operation.request_schema)}}}}}};
  }
  json::object responses;
  for (const auto& response : operation.responses) {
    responses[std::to_string(response.status)] = response_object(response);
  }
  out["responses"] = std::move(responses);

  const json::array scopes = operation.required_scope
                                 ? json::array{json::string(*operation.required_scope)}
                                 : json::array{};
  // Either credential works: the OAuth token of the sign-in flow, or an operator's API key
  // (whose scopes the server checks; OpenAPI has no scopes for bearer keys).
  out["security"] = json::array{json::object{{oauth_scheme, scopes}},
                                json::object{{api_key_scheme, json::array{}}}};
  return out;
}

std::size_t chars(const json::value* value) {
  return value != nullptr && value->is_string() ? memory::count_code_points(value->as_string()) : 0;
}

}  // namespace

json::object build_document(const document_settings& settings,
                            const std::vector<operation_doc>& operations) {
  json::object paths;
  for (const auto& operation : operations) {
    auto& path = paths[operation.path];
    if (!path.is_object())
      path = json::object{};
    path.as_object()[method_name(operation.method)] = operation_object(operation);
  }

  json::object scopes;
  for (const auto& [name, description] : settings.scopes)
    scopes[name] = description;

  json::object schemas = settings.schemas;
  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", settings.title},
        {"version", settings.version},
        {"description", settings.description}}},
      {"servers", json::array{json::object{{"url", settings.server_url}}}},
      {"paths", std::move(paths)},
      {"components",
       {{"schemas", std::move(schemas)},
        {"securitySchemes",
         {{oauth_scheme,
           {{"type", "oauth2"},
            {"description", "Sign in as an end user of the adapter (authorization code flow)."},
            {"flows",
             {{"authorizationCode",
               {{"authorizationUrl", settings.authorization_url},
                {"tokenUrl", settings.token_url},
                {"refreshUrl", settings.token_url},
                {"scopes", std::move(scopes)}}}}}}},
          {api_key_scheme,
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description",
             "An API key issued by the operator (gpt-adapter-admin key create)."}}}}}}},
  };
}

std::vector<std::string> gpt_action_violations(const json::object& document) {
  std::vector<std::string> violations;
  const auto* servers = document.if_contains("servers");
  if (servers == nullptr || !servers->is_array() || servers->as_array().size() != 1) {
    violations.push_back("the document must name exactly one server");
  }
  const auto* paths = document.if_contains("paths");
  if (paths == nullptr || !paths->is_object()) {
    violations.push_back("the document has no paths");
    return violations;
  }
  std::size_t operations = 0;
  for (const auto& [path, item] : paths->as_object()) {
    if (!item.is_object())
      continue;
    for (const auto& [method, operation] : item.as_object()) {
      if (!operation.is_object())
        continue;
      ++operations;
      const auto& fields = operation.as_object();
      const std::string where = std::string(method) + " " + std::string(path);
      const auto* id = fields.if_contains("operationId");
      if (id == nullptr || !id->is_string() || id->as_string().empty()) {
        violations.push_back(where + ": no operationId");
      }
      for (const auto* key : {"summary", "description"}) {
        if (chars(fields.if_contains(key)) > max_operation_text_chars) {
          violations.push_back(where + ": " + key + " longer than " +
                               std::to_string(max_operation_text_chars) + " characters");
        }
      }
      if (const auto* parameters = fields.if_contains("parameters");
          parameters && parameters->is_array()) {
        for (const auto& parameter : parameters->as_array()) {
          if (parameter.is_object() && chars(parameter.as_object().if_contains("description")) >
                                           max_parameter_description_chars) {
            violations.push_back(where + ": a parameter description is longer than " +
                                 std::to_string(max_parameter_description_chars) + " characters");
          }
        }
      }
    }
  }
  if (operations > max_operations) {
    violations.push_back("more than " + std::to_string(max_operations) + " operations (" +
                         std::to_string(operations) + ")");
  }
  return violations;
}

}  // namespace gpt_adapter::api::openapi
