#pragma once

#include <string>
#include <string_view>

namespace gpt_adapter::http {

// A caller's X-Request-ID is kept when it is 1-128 characters of [A-Za-z0-9._:-]; anything
// else could smuggle text into logs and headers, so a fresh id replaces it.
bool is_acceptable_request_id(std::string_view candidate);

// A random UUID v4 in canonical text form.
std::string generate_request_id();

}  // namespace gpt_adapter::http
