#include "api/memory/document_routes.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "api/memory/memory_api_docs.hpp"
#include "api/oauth/authorize_page.hpp"

namespace gpt_adapter::api::memory {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;
using oauth::html_escape;

std::string route_name(http::verb method, const std::string& path) {
  return std::string(bhttp::to_string(method)) + " " + path;
}

std::string text_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::string schema_name(const json::value& schema) {
  if (const auto* object = schema.if_object()) {
    const auto reference = text_of(*object, "$ref");
    if (!reference.empty()) {
      return reference.substr(reference.rfind('/') + 1);
    }
    const auto type = object->if_contains("type");
    if (type != nullptr) {
      return type->is_string() ? std::string(type->as_string()) : json::serialize(*type);
    }
  }
  return "any";
}

void render_schema(std::string& page, const std::string& name, const json::object& schema) {
  page += "<section class=\"schema\" id=\"schema-" + html_escape(name) + "\"><h3>" +
          html_escape(name) + "</h3>";
  const auto description = text_of(schema, "description");
  if (!description.empty()) {
    page += "<p>" + html_escape(description) + "</p>";
  }
  const auto* properties = schema.if_contains("properties");
  if (properties != nullptr && properties->is_object()) {
    std::vector<std::string> required;
    if (const auto* listed = schema.if_contains("required"); listed && listed->is_array()) {
      for (const auto& item : listed->as_array()) {
        if (item.is_string()) {
          required.emplace_back(item.as_string());
        }
      }
    }
    page += "<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>";
    for (const auto& [field, definition] : properties->as_object()) {
      const std::string field_name(field);
      const bool needed = std::find(required.begin(), required.end(), field_name) != required.end();
      page += "<tr><td><code>" + html_escape(field_name) + "</code>" +
              (needed ? " <em>required</em>" : "") + "</td><td>" +
              html_escape(schema_name(definition)) + "</td><td>" +
              html_escape(definition.is_object() ? text_of(definition.as_object(), "description")
                                                 : std::string()) +
              "</td></tr>";
    }
    page += "</table>";
  }
  page += "</section>";
}

void render_operation(std::string& page, const std::string& path, const std::string& method,
                      const json::object& operation) {
  std::string upper = method;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const auto id = text_of(operation, "operationId");
  page += "<section class=\"operation\" id=\"" + html_escape(id) +
          "\"><h3><span class=\"method\">" + html_escape(upper) + "</span> <code>" +
          html_escape(path) + "</code></h3>";
  page += "<p><strong>" + html_escape(text_of(operation, "summary")) + "</strong> (<code>" +
          html_escape(id) + "</code>)</p>";
  page += "<p>" + html_escape(text_of(operation, "description")) + "</p>";
  std::vector<std::string> scopes;
  if (const auto* security = operation.if_contains("security"); security && security->is_array()) {
    for (const auto& requirement : security->as_array()) {
      if (const auto* oauth = requirement.as_object().if_contains("oauth2")) {
        for (const auto& scope : oauth->as_array()) {
          scopes.emplace_back(scope.as_string());
        }
      }
    }
  }
  page += "<p>Needs a bearer token or API key";
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    page += (i == 0 ? " with scope <code>" : ", <code>") + html_escape(scopes[i]) + "</code>";
  }
  page += ". Consequential: ";
  const auto* consequential = operation.if_contains("x-openai-isConsequential");
  page += consequential != nullptr && consequential->is_bool() && consequential->as_bool()
              ? "yes (ChatGPT asks the user first)"
              : "no";
  page += ".</p>";
  if (const auto* parameters = operation.if_contains("parameters");
      parameters && parameters->is_array()) {
    page += "<table><tr><th>Parameter</th><th>In</th><th>Description</th></tr>";
    for (const auto& parameter : parameters->as_array()) {
      const auto& fields = parameter.as_object();
      page += "<tr><td><code>" + html_escape(text_of(fields, "name")) + "</code></td><td>" +
              html_escape(text_of(fields, "in")) + "</td><td>" +
              html_escape(text_of(fields, "description")) + "</td></tr>";
    }
    page += "</table>";
  }
  if (const auto* body = operation.if_contains("requestBody"); body && body->is_object()) {
    const auto& schema = body->as_object().at("content").at("application/json").at("schema");
    const auto name = schema_name(schema);
    page += "<p>Body: <a href=\"#schema-" + html_escape(name) + "\">" + html_escape(name) +
            "</a> (application/json)</p>";
  }
  if (const auto* responses = operation.if_contains("responses");
      responses && responses->is_object()) {
    page += "<table><tr><th>Status</th><th>Meaning</th></tr>";
    for (const auto& [status, response] : responses->as_object()) {
      page += "<tr><td>" + html_escape(std::string(status)) + "</td><td>" +
              html_escape(text_of(response.as_object(), "description")) + "</td></tr>";
    }
    page += "</table>";
  }
  page += "</section>";
}

http::response text_answer(const http::request_context& context, std::string_view content_type,
                           const std::string& body) {
  http::response answer{bhttp::status::ok, context.message.version()};
  answer.set(bhttp::field::content_type, content_type);
  answer.set(bhttp::field::cache_control, "public, max-age=300");
  answer.body() = body;
  answer.prepare_payload();
  return answer;
}

}  // namespace

std::vector<std::string> documentation_drift(
    const std::vector<openapi::operation_doc>& operations,
    const std::vector<request_auth::route_requirement>& registered) {
  std::vector<std::string> drift;
  for (const auto& operation : operations) {
    const auto route = std::find_if(registered.begin(), registered.end(), [&](const auto& entry) {
      return entry.method == operation.method && entry.pattern == operation.path;
    });
    const auto name = route_name(operation.method, operation.path);
    if (route == registered.end()) {
      drift.push_back(operation.operation_id + " (" + name + ") is documented but not served");
    } else if (route->required_scope != operation.required_scope) {
      drift.push_back(name + " needs scope '" + route->required_scope.value_or("none") +
                      "' but is documented with '" + operation.required_scope.value_or("none") +
                      "'");
    }
  }
  for (const auto& route : registered) {
    // Other front doors (MCP) describe themselves in their own protocol.
    if (route.door.name != request_auth::front_door{}.name) {
      continue;
    }
    const auto documented =
        std::find_if(operations.begin(), operations.end(), [&](const auto& operation) {
          return operation.method == route.method && operation.path == route.pattern;
        });
    if (documented == operations.end()) {
      drift.push_back(route_name(route.method, route.pattern) + " is served but not documented");
    }
  }
  return drift;
}

std::string render_docs_page(const json::object& document) {
  const auto& info = document.at("info").as_object();
  const auto title = text_of(info, "title");
  std::string page =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
      html_escape(title) +
      "</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
      "padding:0 1rem;line-height:1.5;color:#1d1d1f}code{background:#f2f2f2;padding:0 .2em}"
      "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:"
      ".25rem .5rem;text-align:left;vertical-align:top}.method{font-family:monospace;"
      "background:#1d1d1f;color:#fff;padding:0 .4em;border-radius:.2em}section{margin:1.5rem "
      "0}</style></head><body>";
  page += "<h1>" + html_escape(title) + " <small>" + html_escape(text_of(info, "version")) +
          "</small></h1>";
  page += "<p>" + html_escape(text_of(info, "description")) + "</p>";
  if (const auto* servers = document.if_contains("servers"); servers && servers->is_array()) {
    for (const auto& server : servers->as_array()) {
      page += "<p>Server: <code>" + html_escape(text_of(server.as_object(), "url")) + "</code></p>";
    }
  }
  page +=
      "<p>The machine-readable document is at <a href=\"/openapi.json\">/openapi.json</a>: "
      "import it into the GPT editor with \"Import from URL\".</p>";
  const auto& components = document.at("components").as_object();
  if (const auto* schemes = components.if_contains("securitySchemes");
      schemes && schemes->is_object()) {
    page += "<h2>Authentication</h2><ul>";
    for (const auto& [name, scheme] : schemes->as_object()) {
      const auto& fields = scheme.as_object();
      page += "<li><code>" + html_escape(std::string(name)) +
              "</code>: " + html_escape(text_of(fields, "type"));
      if (const auto* flows = fields.if_contains("flows"); flows && flows->is_object()) {
        for (const auto& [flow_name, flow] : flows->as_object()) {
          page += " (" + html_escape(std::string(flow_name)) + ": authorization URL <code>" +
                  html_escape(text_of(flow.as_object(), "authorizationUrl")) +
                  "</code>, token URL <code>" + html_escape(text_of(flow.as_object(), "tokenUrl")) +
                  "</code>)";
        }
      }
      page += "</li>";
    }
    page += "</ul>";
  }
  page += "<h2>Operations</h2>";
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      if (operation.is_object()) {
        render_operation(page, std::string(path), std::string(method), operation.as_object());
      }
    }
  }
  if (const auto* schemas = components.if_contains("schemas"); schemas && schemas->is_object()) {
    page += "<h2>Schemas</h2>";
    for (const auto& [name, schema] : schemas->as_object()) {
      if (schema.is_object()) {
        render_schema(page, std::string(name), schema.as_object());
      }
    }
  }
  page += "</body></html>";
  return page;
}

void add_document_routes(http::router& routes,
                         const std::vector<request_auth::route_requirement>& registered,
                         const std::string& public_base_url) {
  const auto drift = documentation_drift(api_operations(), registered);
  if (!drift.empty()) {
    std::string message = "the OpenAPI document does not match the routes:";
    for (const auto& line : drift) {
      message += "\n  " + line;
    }
    throw std::logic_error(message);
  }
  const auto document = openapi::build_document(
      api_document_settings(public_base_url, GPT_ADAPTER_VERSION), api_operations());
  const auto json_text = std::make_shared<const std::string>(json::serialize(document));
  const auto html = std::make_shared<const std::string>(render_docs_page(document));
  routes.add(bhttp::verb::get, "/openapi.json",
             [json_text](http::request_context& context) -> asio::awaitable<http::response> {
               co_return text_answer(context, "application/json", *json_text);
             });
  routes.add(bhttp::verb::get, "/docs",
             [html](http::request_context& context) -> asio::awaitable<http::response> {
               auto answer = text_answer(context, "text/html; charset=utf-8", *html);
               // Inline styles only: nothing is fetched and nothing runs.
               answer.set("Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
               co_return answer;
             });
}

}  // namespace gpt_adapter::api::memory
