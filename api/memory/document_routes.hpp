#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "api/openapi/openapi_document.hpp"
#include "api/request_auth/protected_route.hpp"
#include "common/http/router.hpp"

// The API describing itself: GET /openapi.json (what a GPT editor imports) and GET /docs (the
// same document for people), both public.
namespace gpt_adapter::api::memory {

// Where the documented operations and the registered protected routes of the Actions door
// disagree (a route without an operation, an operation without a route, or a different scope):
// one line each, empty when they agree.
std::vector<std::string> documentation_drift(
    const std::vector<openapi::operation_doc>& operations,
    const std::vector<request_auth::route_requirement>& registered);

// A self-contained HTML page (no scripts, no external resources) showing the document.
std::string render_docs_page(const boost::json::object& document);

// Serves the document of api_operations() for `public_base_url`. Throws std::logic_error when
// documentation_drift() finds anything: the document must describe exactly what is served.
void add_document_routes(http::router& routes,
                         const std::vector<request_auth::route_requirement>& registered,
                         const std::string& public_base_url);

}  // namespace gpt_adapter::api::memory
