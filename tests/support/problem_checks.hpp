#pragma once

#include <set>
#include <string>

#include <boost/json/object.hpp>

#include "tests/support/http_client.hpp"

// Catch2 checks of the API's error answers (RFC 9457 problem details), shared by the tests of
// every protected route.
namespace gpt_adapter::testing {

// Checks status, content type, the body's status and that its request_id is the X-Request-ID
// header; returns the body.
boost::json::object check_problem(const http_reply& reply, int status);

// 401 with a Bearer challenge carrying error="invalid_token", and nothing of the token echoed.
void check_invalid_token(const http_reply& reply, const std::string& token);

// The JSON pointers of a 422's `errors`, each checked to come with a detail.
std::set<std::string> error_pointers(const boost::json::object& problem);

}  // namespace gpt_adapter::testing
