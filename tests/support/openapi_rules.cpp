#include "tests/support/openapi_rules.hpp"

#include <functional>
#include <regex>
#include <set>

#include <boost/json/serialize.hpp>

namespace gpt_adapter::testing {
namespace {

namespace json = boost::json;

const std::set<std::string> http_methods{"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};

// Follows a local JSON Pointer reference ("#/components/schemas/Memory").
const json::value* resolve(const json::object& document, const std::string& reference) {
  if (!reference.starts_with("#/"))
    return nullptr;
  const json::value* at = nullptr;
  const json::object* current = &document;
  std::size_t start = 2;
  while (start <= reference.size()) {
    const auto end = std::min(reference.find('/', start), reference.size());
    const auto name = reference.substr(start, end - start);
    if (current == nullptr)
      return nullptr;
    at = current->if_contains(name);
    if (at == nullptr)
      return nullptr;
    current = at->is_object() ? &at->as_object() : nullptr;
    start = end + 1;
  }
  return at;
}

void check_references(const json::object& document, const json::value& node,
                      std::vector<std::string>& violations) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.as_object()) {
      if (key == "$ref") {
        if (!value.is_string() || resolve(document, std::string(value.as_string())) == nullptr) {
          violations.push_back("unresolved $ref " + json::serialize(value));
        }
      } else {
        check_references(document, value, violations);
      }
    }
  } else if (node.is_array()) {
    for (const auto& value : node.as_array())
      check_references(document, value, violations);
  }
}

std::set<std::string> path_templates(const std::string& path) {
  std::set<std::string> names;
  static const std::regex pattern(R"(\{([^}/]+)\})");
  for (std::sregex_iterator it(path.begin(), path.end(), pattern), end; it != end; ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

}  // namespace

std::vector<std::string> openapi_violations(const json::object& document) {
  std::vector<std::string> violations;
  const auto text_at = [&](const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_string() && !value->as_string().empty();
  };
  if (const auto* version = document.if_contains("openapi");
      version == nullptr || !version->is_string() || !version->as_string().starts_with("3.1.")) {
    violations.push_back("openapi must be a 3.1.x version string");
  }
  const auto* info = document.if_contains("info");
  if (info == nullptr || !info->is_object() || !text_at(info->as_object(), "title") ||
      !text_at(info->as_object(), "version")) {
    violations.push_back("info.title and info.version are required");
  }
  std::set<std::string> schemes;
  if (const auto* components = document.if_contains("components");
      components && components->is_object()) {
    if (const auto* declared = components->as_object().if_contains("securitySchemes");
        declared && declared->is_object()) {
      for (const auto& [name, scheme] : declared->as_object()) {
        schemes.insert(std::string(name));
        if (!scheme.is_object() || !text_at(scheme.as_object(), "type")) {
          violations.push_back("security scheme " + std::string(name) + " has no type");
        }
      }
    }
  }

  const auto* paths = document.if_contains("paths");
  if (paths == nullptr || !paths->is_object()) {
    violations.push_back("paths must be an object");
    return violations;
  }
  std::set<std::string> operation_ids;
  for (const auto& [path_key, item] : paths->as_object()) {
    const std::string path(path_key);
    if (!path.starts_with("/"))
      violations.push_back("path " + path + " does not start with /");
    if (!item.is_object()) {
      violations.push_back("path item " + path + " is not an object");
      continue;
    }
    for (const auto& [method_key, operation] : item.as_object()) {
      const std::string method(method_key);
      const std::string where = method + " " + path;
      if (!http_methods.contains(method)) {
        violations.push_back(where + ": not an HTTP method");
        continue;
      }
      if (!operation.is_object()) {
        violations.push_back(where + ": not an object");
        continue;
      }
      const auto& fields = operation.as_object();
      if (text_at(fields, "operationId")) {
        if (!operation_ids.insert(std::string(fields.at("operationId").as_string())).second) {
          violations.push_back(where + ": duplicate operationId");
        }
      }
      const auto* responses = fields.if_contains("responses");
      if (responses == nullptr || !responses->is_object() || responses->as_object().empty()) {
        violations.push_back(where + ": no responses");
      } else {
        for (const auto& [status, response] : responses->as_object()) {
          if (!response.is_object() || !text_at(response.as_object(), "description")) {
            violations.push_back(where + ": response " + std::string(status) +
                                 " has no description");
          }
        }
      }
      std::set<std::string> declared_path_parameters;
      if (const auto* parameters = fields.if_contains("parameters"); parameters) {
        for (const auto& parameter : parameters->as_array()) {
          const auto& p = parameter.as_object();
          if (!text_at(p, "name") || !text_at(p, "in")) {
            violations.push_back(where + ": a parameter lacks name or in");
            continue;
          }
          if (p.at("in").as_string() == "path") {
            const auto* required = p.if_contains("required");
            if (required == nullptr || !required->is_bool() || !required->as_bool()) {
              violations.push_back(where + ": path parameter " +
                                   std::string(p.at("name").as_string()) + " must be required");
            }
            declared_path_parameters.insert(std::string(p.at("name").as_string()));
          }
        }
      }
      if (declared_path_parameters != path_templates(path)) {
        violations.push_back(where + ": path parameters do not match the path template");
      }
      if (const auto* security = fields.if_contains("security"); security) {
        for (const auto& requirement : security->as_array()) {
          for (const auto& [scheme, scopes] : requirement.as_object()) {
            if (!schemes.contains(std::string(scheme))) {
              violations.push_back(where + ": unknown security scheme " + std::string(scheme));
            }
          }
        }
      }
    }
  }
  check_references(document, document, violations);
  return violations;
}

}  // namespace gpt_adapter::testing
