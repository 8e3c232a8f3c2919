#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/http/router.hpp"

// The OpenAPI 3.1 document a GPT editor imports, built from the same operation descriptions
// the routes are registered with, so the document cannot drift from the code. Pure.
namespace gpt_adapter::api::openapi {

struct parameter_doc {
  std::string name;
  std::string in;  // "path" or "query"
  bool required = false;
  std::string description;
  boost::json::object schema;
};

struct response_doc {
  int status = 200;
  std::string description;
  // A schema name under components/schemas; std::nullopt for a response without a body.
  std::optional<std::string> schema;
  bool problem = false;  // an application/problem+json error response
};

struct operation_doc {
  http::verb method = http::verb::get;
  std::string path;  // e.g. "/api/v1/memories/{memory_id}"
  std::string operation_id;
  std::string summary;
  std::string description;
  // The OAuth scope the route needs; std::nullopt when any authenticated caller may call it.
  std::optional<std::string> required_scope;
  std::vector<parameter_doc> parameters;
  std::optional<std::string> request_schema;  // a name under components/schemas
  std::vector<response_doc> responses;
  // x-openai-isConsequential: whether ChatGPT must ask the user before each call. MCP tools
  // carry the same fact as destructiveHint.
  bool consequential = false;
  // Changes nothing (MCP readOnlyHint); a search is one although it is a POST.
  bool read_only = false;
  // Calling it twice with the same input has the effect of calling it once (idempotentHint).
  bool idempotent = false;
};

struct document_settings {
  std::string title;
  std::string version;
  std::string description;  // info.description: what the model reads to decide when to call
  std::string server_url;   // PUBLIC_BASE_URL
  std::string authorization_url;
  std::string token_url;
  std::vector<std::pair<std::string, std::string>> scopes;  // name, description
  boost::json::object schemas;  // components/schemas, named as the operations refer to them
};

boost::json::object build_document(const document_settings& settings,
                                   const std::vector<operation_doc>& operations);

// The limits ChatGPT puts on an imported document (see the GPT Actions reference): every
// operation has an operationId, summaries and descriptions are at most 300 characters,
// parameter descriptions at most 700, at most 30 operations, and there is one server. Returns
// one line per violation, empty when the document may be imported.
std::vector<std::string> gpt_action_violations(const boost::json::object& document);

inline constexpr std::size_t max_operation_text_chars = 300;
inline constexpr std::size_t max_parameter_description_chars = 700;
inline constexpr std::size_t max_operations = 30;

}  // namespace gpt_adapter::api::openapi
