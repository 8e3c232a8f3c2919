#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/openapi/openapi_document.hpp"

// What the Custom GPT-facing API says about itself: one description per operation (used both
// to register the route and to write the OpenAPI document) and the schemas they refer to,
// whose limits are the validators' constants.
namespace gpt_adapter::api::memory {

namespace operation_ids {
inline constexpr std::string_view search = "searchMemories";
inline constexpr std::string_view create = "createMemory";
inline constexpr std::string_view list = "listMemories";
inline constexpr std::string_view get = "getMemory";
inline constexpr std::string_view update = "updateMemory";
inline constexpr std::string_view remove = "deleteMemory";
inline constexpr std::string_view history = "getMemoryHistory";
inline constexpr std::string_view forget = "forgetAllMemories";
inline constexpr std::string_view job = "getJob";
inline constexpr std::string_view me = "getCurrentCaller";
}  // namespace operation_ids

// Every operation of the API, in the order the document lists them.
const std::vector<openapi::operation_doc>& api_operations();

// The description of one operation; throws std::out_of_range for an unknown id.
const openapi::operation_doc& api_operation(std::string_view operation_id);

// The document settings for a deployment reachable at `public_base_url`.
openapi::document_settings api_document_settings(const std::string& public_base_url,
                                                 std::string version);

}  // namespace gpt_adapter::api::memory
