#pragma once

#include <string_view>

// Content-Type checks shared by every route that takes a JSON body. Pure.
namespace gpt_adapter::http {

// Whether a Content-Type value names application/json (case-insensitive, parameters such as
// charset ignored).
bool is_json_media_type(std::string_view content_type);

}  // namespace gpt_adapter::http
