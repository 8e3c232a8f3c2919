#include "common/memory_bank/mem0_json.hpp"

#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::memory_bank::mem0_json {
namespace {

std::optional<std::string> optional_text(const boost::json::object& object, std::string_view name,
                                         bool& wrong_type) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    wrong_type = true;
    return std::nullopt;
  }
  return std::string(value->as_string());
}

}  // namespace

error malformed(std::string message) {
  return error{error_kind::malformed_response, std::move(message)};
}

error invalid(std::string message) {
  return error{error_kind::invalid_input, std::move(message)};
}

std::optional<std::string> string_at(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value != nullptr && value->is_string()) {
    return std::string(value->as_string());
  }
  return std::nullopt;
}

result<memory> read_memory(const boost::json::value& item) {
  if (!item.is_object()) {
    return malformed("a memory is not a JSON object");
  }
  const auto& object = item.as_object();
  memory found;
  const auto id = string_at(object, "id");
  if (!id || id->empty()) {
    return malformed("a memory has no id");
  }
  found.memory_id = *id;
  const auto text = string_at(object, "memory");
  if (!text) {
    return malformed("memory " + found.memory_id + " has no text");
  }
  found.content = *text;

  if (const auto* score = object.if_contains("score"); score != nullptr && !score->is_null()) {
    if (!score->is_number()) {
      return malformed("memory " + found.memory_id + " has a score that is not a number");
    }
    found.relevance_score = score->to_number<double>();
  }
  if (const auto* metadata = object.if_contains("metadata");
      metadata != nullptr && !metadata->is_null()) {
    if (!metadata->is_object()) {
      return malformed("memory " + found.memory_id + " has metadata that is not an object");
    }
    found.metadata = metadata->as_object();
  }
  bool wrong_type = false;
  found.created_at = optional_text(object, "created_at", wrong_type);
  found.updated_at = optional_text(object, "updated_at", wrong_type);
  found.user_id = optional_text(object, "user_id", wrong_type);
  if (wrong_type) {
    return malformed("memory " + found.memory_id +
                     " has a created_at, updated_at or user_id that is not a string");
  }
  return found;
}

result<std::vector<memory>> read_memory_list(const boost::json::value& body) {
  const boost::json::array* items = nullptr;
  if (body.is_object()) {
    if (const auto* results = body.as_object().if_contains("results");
        results != nullptr && results->is_array()) {
      items = &results->as_array();
    }
  }
  if (items == nullptr) {
    return malformed("expected an object with a results array");
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

result<memory_change> read_change(const boost::json::value& item) {
  if (!item.is_object()) {
    return malformed("an add result is not a JSON object");
  }
  const auto& object = item.as_object();
  memory_change change;
  const auto id = string_at(object, "id");
  if (!id || id->empty()) {
    return malformed("an add result has no id");
  }
  change.memory_id = *id;
  const auto event_name = string_at(object, "event");
  const auto event = event_name ? parse_change_event(*event_name) : std::nullopt;
  if (!event) {
    return malformed("add result " + change.memory_id +
                     " has no ADD, UPDATE, DELETE or NONE event");
  }
  change.event = *event;
  // Older and newer answers put the text at "memory" or at "data.memory".
  auto text = string_at(object, "memory");
  if (!text) {
    if (const auto* data = object.if_contains("data"); data != nullptr && data->is_object()) {
      text = string_at(data->as_object(), "memory");
    }
  }
  if (!text && change.event != change_event::none && change.event != change_event::remove) {
    return malformed("add result " + change.memory_id + " has no text");
  }
  change.content = text.value_or("");
  change.previous_content = string_at(object, "previous_memory");
  return change;
}

result<std::vector<memory_change>> read_changes(const boost::json::array& items) {
  std::vector<memory_change> changes;
  changes.reserve(items.size());
  for (const auto& item : items) {
    auto change = read_change(item);
    if (!change) {
      return change.error();
    }
    changes.push_back(std::move(change).value());
  }
  return changes;
}

result<std::vector<history_entry>> read_history(const boost::json::value& body) {
  if (!body.is_array()) {
    return malformed("a memory history is not a JSON array");
  }
  std::vector<history_entry> entries;
  for (const auto& item : body.as_array()) {
    if (!item.is_object()) {
      return malformed("a history entry is not a JSON object");
    }
    const auto& object = item.as_object();
    const auto event_name = string_at(object, "event");
    const auto event = event_name ? parse_change_event(*event_name) : std::nullopt;
    if (!event) {
      return malformed("a history entry has no ADD, UPDATE or DELETE event");
    }
    bool wrong_type = false;
    history_entry entry{.event = *event,
                        .old_content = optional_text(object, "old_memory", wrong_type),
                        .new_content = optional_text(object, "new_memory", wrong_type),
                        .created_at = optional_text(object, "created_at", wrong_type),
                        .updated_at = optional_text(object, "updated_at", wrong_type)};
    if (wrong_type) {
      return malformed("a history entry has a field of the wrong type");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

boost::json::array user_message(std::string_view content) {
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

std::string encoded(std::string_view path_segment) {
  return text::percent_encode(path_segment);
}

}  // namespace gpt_adapter::memory_bank::mem0_json
