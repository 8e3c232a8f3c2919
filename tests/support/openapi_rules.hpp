#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace gpt_adapter::testing {

// The OpenAPI 3.1 rules a document must follow to import anywhere (a structural subset of the
// specification, enough to catch what a generator gets wrong): required top-level fields,
// paths starting with '/', operations with unique operationIds and at least one response,
// every `{name}` of a path declared once as a required path parameter (and nothing else
// declared in the path), every $ref resolving inside the document, and every security
// requirement naming a declared scheme. One line per violation; empty when none.
std::vector<std::string> openapi_violations(const boost::json::object& document);

}  // namespace gpt_adapter::testing
