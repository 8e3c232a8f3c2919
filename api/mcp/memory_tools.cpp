#include "api/mcp/memory_tools.hpp"

#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::api::mcp {
namespace {

namespace json = boost::json;

const json::object& body_schema(const openapi::operation_doc& operation,
                                const json::object& schemas) {
  const auto* found = schemas.if_contains(*operation.request_schema);
  if (!found || !found->is_object()) {
    throw std::logic_error("no schema " + *operation.request_schema + " for the tool " +
                           operation.operation_id);
  }
  return found->as_object();
}

json::object input_schema(const openapi::operation_doc& operation, const json::object& schemas) {
  json::object properties;
  json::array required;
  const auto add = [&](std::string_view name, json::value schema, bool is_required) {
    if (properties.contains(name)) {
      throw std::logic_error("the tool " + operation.operation_id + " has two inputs named " +
                             std::string(name));
    }
    properties[name] = std::move(schema);
    if (is_required) {
      required.emplace_back(name);
    }
  };
  for (const auto& parameter : operation.parameters) {
    auto schema = parameter.schema;
    if (!parameter.description.empty()) {
      schema["description"] = parameter.description;
    }
    add(parameter.name, std::move(schema), parameter.required);
  }
  if (operation.request_schema) {
    const auto& body = body_schema(operation, schemas);
    std::vector<std::string> body_required;
    if (const auto* listed = body.if_contains("required"); listed && listed->is_array()) {
      for (const auto& name : listed->as_array()) {
        body_required.emplace_back(name.as_string());
      }
    }
    if (const auto* listed = body.if_contains("properties"); listed && listed->is_object()) {
      for (const auto& [name, schema] : listed->as_object()) {
        const bool is_required =
            std::find(body_required.begin(), body_required.end(), name) != body_required.end();
        add(name, schema, is_required);
      }
    }
  }
  json::object schema{
      {"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) {
    schema["required"] = std::move(required);
  }
  return schema;
}

json::object definition(const openapi::operation_doc& operation, const json::object& schemas) {
  return {
      {"name", operation.operation_id},
      {"title", operation.summary},
      {"description", operation.description.empty() ? operation.summary : operation.description},
      {"inputSchema", input_schema(operation, schemas)},
      {"annotations",
       {{"title", operation.summary},
        {"readOnlyHint", operation.read_only},
        {"destructiveHint", operation.consequential},
        {"idempotentHint", operation.idempotent},
        // The memories are the adapter's own store, not the open world.
        {"openWorldHint", false}}}};
}

const openapi::parameter_doc* parameter_named(const openapi::operation_doc& operation,
                                              std::string_view name) {
  for (const auto& parameter : operation.parameters) {
    if (parameter.name == name) {
      return &parameter;
    }
  }
  return nullptr;
}

std::optional<std::string> query_text(const json::value& value) {
  if (value.is_string()) {
    return std::string(value.as_string());
  }
  if (value.is_int64() || value.is_uint64()) {
    return json::serialize(value);
  }
  return std::nullopt;
}

std::string problem_text(const json::object& problem) {
  std::string text;
  if (const auto* detail = problem.if_contains("detail"); detail && detail->is_string()) {
    text = std::string(detail->as_string());
  } else if (const auto* title = problem.if_contains("title"); title && title->is_string()) {
    text = std::string(title->as_string());
  }
  if (const auto* errors = problem.if_contains("errors"); errors && errors->is_array()) {
    for (const auto& error : errors->as_array()) {
      if (!error.is_object()) {
        continue;
      }
      const auto* pointer = error.as_object().if_contains("pointer");
      const auto* detail = error.as_object().if_contains("detail");
      if (pointer && pointer->is_string() && detail && detail->is_string()) {
        text += "\n" + std::string(pointer->as_string()) + ": " + std::string(detail->as_string());
      }
    }
  }
  return text;
}

}  // namespace

std::vector<tool> make_tools(const std::vector<openapi::operation_doc>& operations,
                             const json::object& schemas) {
  std::vector<tool> tools;
  tools.reserve(operations.size());
  for (const auto& operation : operations) {
    tools.push_back({.operation = &operation, .definition = definition(operation, schemas)});
  }
  return tools;
}

auth::value_or_error<http_call, std::string> http_call_for(const tool& called,
                                                           const json::object& arguments) {
  const auto& operation = *called.operation;
  std::string path = operation.path;
  std::string query;
  json::object body;
  for (const auto& parameter : operation.parameters) {
    if (parameter.required && !arguments.contains(parameter.name)) {
      return std::string("The argument " + parameter.name + " is required.");
    }
  }
  for (const auto& [name, value] : arguments) {
    const auto* parameter = parameter_named(operation, name);
    if (parameter && parameter->in == "path") {
      if (!value.is_string() || value.as_string().empty()) {
        return std::string("The argument " + std::string(name) + " must be a non-empty string.");
      }
      const auto placeholder = "{" + parameter->name + "}";
      path.replace(path.find(placeholder), placeholder.size(),
                   text::percent_encode(value.as_string()));
    } else if (parameter) {
      const auto text = query_text(value);
      if (!text) {
        return std::string("The argument " + std::string(name) +
                           " must be a string or an integer.");
      }
      query += (query.empty() ? "?" : "&") + parameter->name + "=" + text::percent_encode(*text);
    } else if (operation.request_schema) {
      body[name] = value;
    } else {
      return std::string(operation.operation_id + " takes no argument named " + std::string(name) +
                         ".");
    }
  }
  return http_call{.method = operation.method,
                   .target = path + query,
                   .body = operation.request_schema ? json::serialize(body) : std::string()};
}

json::object tool_result(int status, std::string_view body) {
  boost::system::error_code failure;
  auto parsed = json::parse(body, failure);
  json::object structured = !failure && parsed.is_object() ? std::move(parsed.as_object())
                                                           : json::object{{"status", status}};
  const bool is_error = status >= 400;
  const auto text = is_error ? problem_text(structured) : json::serialize(structured);
  return {{"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
          {"structuredContent", std::move(structured)},
          {"isError", is_error}};
}

}  // namespace gpt_adapter::api::mcp
