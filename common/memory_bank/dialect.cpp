#include "common/memory_bank/dialect.hpp"

#include <array>
#include <utility>

#include <boost/json/array.hpp>

#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::memory_bank {
namespace {

using boost::beast::http::verb;

constexpr std::array<std::pair<dialect, std::string_view>, 3> dialect_names{{
    {dialect::mem0_platform, "mem0-platform"},
    {dialect::mem0_oss, "mem0-oss"},
    {dialect::openmemory, "openmemory"},
}};

constexpr std::array<std::string_view, 4> entity_id_fields{"user_id", "agent_id", "run_id",
                                                           "app_id"};

error invalid(std::string message) {
  return error{error_kind::invalid_input, std::move(message)};
}

error malformed(std::string message) {
  return error{error_kind::malformed_response, std::move(message)};
}

void strip_entity_ids(boost::json::value& value);

void strip_entity_ids(boost::json::object& object) {
  for (const auto field : entity_id_fields) {
    object.erase(field);
  }
  for (auto& member : object) {
    strip_entity_ids(member.value());
  }
}

void strip_entity_ids(boost::json::value& value) {
  if (value.is_object()) {
    strip_entity_ids(value.as_object());
  } else if (value.is_array()) {
    for (auto& element : value.as_array()) {
      strip_entity_ids(element);
    }
  }
}

boost::json::object without_entity_ids(boost::json::object object) {
  strip_entity_ids(object);
  return object;
}

boost::json::array user_message(const std::string& content) {
  return boost::json::array{boost::json::object{{"role", "user"}, {"content", content}}};
}

std::string query_string(std::initializer_list<std::pair<std::string_view, std::string>> params) {
  std::string query;
  for (const auto& [name, value] : params) {
    query += query.empty() ? '?' : '&';
    query.append(name);
    query += '=';
    query += text::percent_encode(value);
  }
  return query;
}

std::optional<error> check_memory_id(const std::string& memory_id) {
  if (memory_id.empty()) {
    return invalid("memory_id must not be empty");
  }
  return std::nullopt;
}

using request_result = auth::value_or_error<http_request, error>;

request_result build(dialect shape, const owner& who, const search_input& input) {
  if (input.query.empty()) {
    return invalid("query must not be empty");
  }
  if (input.limit < 1 || input.limit > max_search_limit) {
    return invalid("limit must be between 1 and " + std::to_string(max_search_limit));
  }
  auto filters = without_entity_ids(input.filters);
  switch (shape) {
    case dialect::mem0_platform: {
      boost::json::object body{
          {"query", input.query}, {"user_id", who.user_id}, {"top_k", input.limit}};
      if (!filters.empty()) {
        body["filters"] = std::move(filters);
      }
      return http_request{verb::post, "/v1/memories/search/", std::move(body)};
    }
    case dialect::mem0_oss: {
      boost::json::object body{
          {"query", input.query}, {"user_id", who.user_id}, {"limit", input.limit}};
      if (!filters.empty()) {
        body["filters"] = std::move(filters);
      }
      return http_request{verb::post, "/search", std::move(body)};
    }
    case dialect::openmemory:
      // OpenMemory searches through its list endpoint; it has no filter object to pass on.
      return http_request{
          verb::get,
          "/api/v1/memories/" + query_string({{"user_id", who.user_id},
                                              {"search_query", input.query},
                                              {"page", "1"},
                                              {"size", std::to_string(input.limit)}}),
          std::nullopt};
  }
  return invalid("unknown dialect");
}

request_result build(dialect shape, const owner& who, const create_input& input) {
  if (input.content.empty()) {
    return invalid("content must not be empty");
  }
  auto metadata = without_entity_ids(input.metadata);
  switch (shape) {
    case dialect::mem0_platform:
      return http_request{verb::post, "/v1/memories/",
                          boost::json::object{{"messages", user_message(input.content)},
                                              {"user_id", who.user_id},
                                              {"metadata", std::move(metadata)}}};
    case dialect::mem0_oss:
      return http_request{verb::post, "/memories",
                          boost::json::object{{"messages", user_message(input.content)},
                                              {"user_id", who.user_id},
                                              {"metadata", std::move(metadata)}}};
    case dialect::openmemory:
      return http_request{verb::post, "/api/v1/memories/",
                          boost::json::object{{"user_id", who.user_id},
                                              {"text", input.content},
                                              {"metadata", std::move(metadata)},
                                              {"infer", true},
                                              {"app", who.app}}};
  }
  return invalid("unknown dialect");
}

std::string memory_path(dialect shape, const std::string& memory_id) {
  const auto id = text::percent_encode(memory_id);
  switch (shape) {
    case dialect::mem0_platform:
      return "/v1/memories/" + id + "/";
    case dialect::mem0_oss:
      return "/memories/" + id;
    case dialect::openmemory:
      return "/api/v1/memories/" + id;
  }
  return {};
}

request_result build(dialect shape, const owner&, const get_input& input) {
  if (auto problem = check_memory_id(input.memory_id)) {
    return *problem;
  }
  return http_request{verb::get, memory_path(shape, input.memory_id), std::nullopt};
}

request_result build(dialect shape, const owner& who, const list_input& input) {
  if (input.page < 1) {
    return invalid("page must be at least 1");
  }
  if (input.page_size < 1 || input.page_size > max_page_size) {
    return invalid("page_size must be between 1 and " + std::to_string(max_page_size));
  }
  const auto page = std::to_string(input.page);
  const auto size = std::to_string(input.page_size);
  switch (shape) {
    case dialect::mem0_platform:
      return http_request{
          verb::get,
          "/v1/memories/" +
              query_string({{"user_id", who.user_id}, {"page", page}, {"page_size", size}}),
          std::nullopt};
    case dialect::mem0_oss:
      // The self-hosted server lists a user's memories in one page.
      return http_request{verb::get, "/memories" + query_string({{"user_id", who.user_id}}),
                          std::nullopt};
    case dialect::openmemory:
      return http_request{
          verb::get,
          "/api/v1/memories/" +
              query_string({{"user_id", who.user_id}, {"page", page}, {"size", size}}),
          std::nullopt};
  }
  return invalid("unknown dialect");
}

request_result build(dialect shape, const owner& who, const update_input& input) {
  if (auto problem = check_memory_id(input.memory_id)) {
    return *problem;
  }
  if (input.content.empty()) {
    return invalid("content must not be empty");
  }
  auto metadata = without_entity_ids(input.metadata);
  switch (shape) {
    case dialect::mem0_platform:
    case dialect::mem0_oss:
      return http_request{
          verb::put, memory_path(shape, input.memory_id),
          boost::json::object{{"text", input.content}, {"metadata", std::move(metadata)}}};
    case dialect::openmemory:
      return http_request{
          verb::put, memory_path(shape, input.memory_id),
          boost::json::object{{"memory_content", input.content}, {"user_id", who.user_id}}};
  }
  return invalid("unknown dialect");
}

request_result build(dialect shape, const owner& who, const delete_input& input) {
  if (auto problem = check_memory_id(input.memory_id)) {
    return *problem;
  }
  switch (shape) {
    case dialect::mem0_platform:
    case dialect::mem0_oss:
      return http_request{verb::delete_, memory_path(shape, input.memory_id), std::nullopt};
    case dialect::openmemory:
      // OpenMemory deletes in bulk, scoped by the user.
      return http_request{
          verb::delete_, "/api/v1/memories/",
          boost::json::object{
              {"memory_ids", boost::json::array{boost::json::value(input.memory_id)}},
              {"user_id", who.user_id}}};
  }
  return invalid("unknown dialect");
}

std::optional<std::string> string_member(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value != nullptr && value->is_string()) {
    return std::string(value->as_string());
  }
  return std::nullopt;
}

auth::value_or_error<memory, error> read_memory(const boost::json::value& item) {
  if (!item.is_object()) {
    return malformed("a memory is not a JSON object");
  }
  const auto& object = item.as_object();
  memory result;

  const auto* id = object.if_contains("id");
  if (id == nullptr) {
    id = object.if_contains("memory_id");
  }
  if (id != nullptr && id->is_string() && !id->as_string().empty()) {
    result.memory_id = std::string(id->as_string());
  } else if (id != nullptr && id->is_int64()) {
    result.memory_id = std::to_string(id->as_int64());
  } else if (id != nullptr && id->is_uint64()) {
    result.memory_id = std::to_string(id->as_uint64());
  } else {
    return malformed("a memory has no id");
  }

  // mem0 calls the text "memory" (or "data.memory" in an add answer), OpenMemory "content" or
  // "text".
  std::optional<std::string> content = string_member(object, "memory");
  if (!content) {
    content = string_member(object, "content");
  }
  if (!content) {
    content = string_member(object, "text");
  }
  if (!content) {
    if (const auto* data = object.if_contains("data"); data != nullptr && data->is_object()) {
      content = string_member(data->as_object(), "memory");
    }
  }
  if (!content) {
    return malformed("memory " + result.memory_id + " has no text");
  }
  result.content = std::move(*content);

  if (const auto* score = object.if_contains("score"); score != nullptr && !score->is_null()) {
    if (!score->is_number()) {
      return malformed("memory " + result.memory_id + " has a score that is not a number");
    }
    result.relevance_score = score->to_number<double>();
  }

  const auto* metadata = object.if_contains("metadata");
  if (metadata == nullptr) {
    metadata = object.if_contains("metadata_");
  }
  if (metadata != nullptr && metadata->is_object()) {
    result.metadata = metadata->as_object();
  } else if (metadata != nullptr && !metadata->is_null()) {
    return malformed("memory " + result.memory_id + " has metadata that is not an object");
  }

  result.created_at = string_member(object, "created_at");
  result.user_id = string_member(object, "user_id");
  return result;
}

}  // namespace

std::string_view to_string(dialect value) {
  for (const auto& [shape, name] : dialect_names) {
    if (shape == value) {
      return name;
    }
  }
  return "unknown";
}

std::optional<dialect> parse_dialect(std::string_view text) {
  for (const auto& [shape, name] : dialect_names) {
    if (name == text) {
      return shape;
    }
  }
  return std::nullopt;
}

auth::value_or_error<http_request, error> build_request(dialect shape, const owner& who,
                                                        const operation_input& input) {
  if (who.user_id.empty()) {
    return invalid("the end user's id must not be empty");
  }
  return std::visit([&](const auto& operation) { return build(shape, who, operation); }, input);
}

auth::value_or_error<std::vector<memory>, error> parse_memories(const boost::json::value& body) {
  const boost::json::array* items = nullptr;
  if (body.is_array()) {
    items = &body.as_array();
  } else if (body.is_object()) {
    for (const std::string_view name : {"results", "items", "memories"}) {
      if (const auto* found = body.as_object().if_contains(name);
          found != nullptr && found->is_array()) {
        items = &found->as_array();
        break;
      }
    }
  }
  if (items == nullptr) {
    return malformed("expected a list of memories, or an object with results, items or memories");
  }
  std::vector<memory> memories;
  memories.reserve(items->size());
  for (const auto& item : *items) {
    auto parsed = read_memory(item);
    if (!parsed) {
      return parsed.error();
    }
    memories.push_back(std::move(parsed).value());
  }
  return memories;
}

auth::value_or_error<memory, error> parse_memory(const boost::json::value& body) {
  return read_memory(body);
}

std::optional<error> check_owner(const memory& found, std::string_view expected_user_id) {
  if (found.user_id && *found.user_id != expected_user_id) {
    return error{error_kind::not_found, "memory " + found.memory_id + " not found"};
  }
  return std::nullopt;
}

}  // namespace gpt_adapter::memory_bank
