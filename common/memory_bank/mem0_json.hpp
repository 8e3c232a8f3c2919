#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/memory_bank/operations.hpp"

// Readers for the JSON both mem0 dialects answer with, and the helpers their request builders
// share. Pure.
namespace gpt_adapter::memory_bank::mem0_json {

error malformed(std::string message);
error invalid(std::string message);

std::optional<std::string> string_at(const boost::json::object& object, std::string_view name);

// A memory object: id (string), memory (text), and optionally score, metadata, created_at,
// updated_at and user_id.
result<memory> read_memory(const boost::json::value& item);

// {"results": [memory, ...]}, what both dialects answer a search or a list with.
result<std::vector<memory>> read_memory_list(const boost::json::value& body);

// One result of an add or an event: {id, memory | data.memory, event, previous_memory?}.
result<memory_change> read_change(const boost::json::value& item);
result<std::vector<memory_change>> read_changes(const boost::json::array& items);

// A history array: {event, old_memory, new_memory, created_at, updated_at}.
result<std::vector<history_entry>> read_history(const boost::json::value& body);

boost::json::array user_message(std::string_view content);

// "?name=value&..." with every value percent-encoded.
std::string query_string(std::initializer_list<std::pair<std::string_view, std::string>> params);

std::string encoded(std::string_view path_segment);

}  // namespace gpt_adapter::memory_bank::mem0_json
