#pragma once

#include "api/request_auth/request_authorization.hpp"

namespace gpt_adapter::api::request_auth {

// GET /api/v1/me: who the caller is (application, end user if any, scopes, credential kind and
// rate-limit policy). Any valid credential may ask, whatever its scopes: it reveals nothing but
// what the credential itself stands for, and a GPT holding only memories:write must still be
// able to check its own connection.
void add_me_route(request_authorization& authorization, http::router& routes);

}  // namespace gpt_adapter::api::request_auth
