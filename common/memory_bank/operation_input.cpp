#include "common/memory_bank/operation_input.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::memory_bank {
namespace {

error invalid_field(std::string_view field, std::string_view problem) {
  return error{error_kind::invalid_input,
               "payload field '" + std::string(field) + "' " + std::string(problem)};
}

// Each reader leaves `target` alone when the field is absent and returns an error when it is
// present with the wrong type.
std::optional<error> read_string(const boost::json::object& payload, std::string_view field,
                                 std::string& target) {
  const auto* value = payload.if_contains(field);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    return invalid_field(field, "must be a string");
  }
  target = std::string(value->as_string());
  return std::nullopt;
}

std::optional<error> read_int(const boost::json::object& payload, std::string_view field,
                              int& target) {
  const auto* value = payload.if_contains(field);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_int64() && value->as_int64() >= 0 && value->as_int64() <= 1'000'000) {
    target = static_cast<int>(value->as_int64());
    return std::nullopt;
  }
  if (value->is_uint64() && value->as_uint64() <= 1'000'000) {
    target = static_cast<int>(value->as_uint64());
    return std::nullopt;
  }
  return invalid_field(field, "must be a non-negative integer");
}

std::optional<error> read_object(const boost::json::object& payload, std::string_view field,
                                 boost::json::object& target) {
  const auto* value = payload.if_contains(field);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_object()) {
    return invalid_field(field, "must be an object");
  }
  target = value->as_object();
  return std::nullopt;
}

std::optional<error> require_string(const boost::json::object& payload, std::string_view field,
                                    std::string& target) {
  if (!payload.contains(field)) {
    return invalid_field(field, "is required");
  }
  if (auto problem = read_string(payload, field, target)) {
    return problem;
  }
  if (target.empty()) {
    return invalid_field(field, "must not be empty");
  }
  return std::nullopt;
}

template <typename... Checks>
std::optional<error> first_error(Checks&&... checks) {
  std::optional<error> found;
  ((found = found ? found : checks()), ...);
  return found;
}

using input_result = auth::value_or_error<operation_input, error>;

std::optional<error> read_bool(const boost::json::object& payload, std::string_view field,
                               bool& target) {
  const auto* value = payload.if_contains(field);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_bool()) {
    return invalid_field(field, "must be true or false");
  }
  target = value->as_bool();
  return std::nullopt;
}

std::optional<error> read_strings(const boost::json::object& payload, std::string_view field,
                                  std::vector<std::string>& target) {
  const auto* value = payload.if_contains(field);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_array()) {
    return invalid_field(field, "must be an array of strings");
  }
  for (const auto& item : value->as_array()) {
    if (!item.is_string()) {
      return invalid_field(field, "must be an array of strings");
    }
    target.emplace_back(item.as_string());
  }
  return std::nullopt;
}

std::optional<error> read_instant(const boost::json::object& range, std::string_view field,
                                  std::optional<time_point>& target) {
  const auto* value = range.if_contains(field);
  if (value == nullptr) {
    return std::nullopt;
  }
  const auto parsed = value->is_string() ? text::parse_rfc3339(value->as_string()) : std::nullopt;
  if (!parsed) {
    return invalid_field("filters.date_range." + std::string(field),
                         "must be an RFC 3339 date-time");
  }
  target = *parsed;
  return std::nullopt;
}

// filters: {categories?: [string], date_range?: {start?, end?}}, what the API sends.
std::optional<error> read_filter(const boost::json::object& payload, search_filter& filter) {
  const auto* value = payload.if_contains("filters");
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_object()) {
    return invalid_field("filters", "must be an object");
  }
  const auto& filters = value->as_object();
  for (const auto& [key, unused] : filters) {
    if (key != "categories" && key != "date_range") {
      return invalid_field("filters." + std::string(key), "is not a filter");
    }
  }
  if (auto problem = read_strings(filters, "categories", filter.categories)) {
    return problem;
  }
  if (const auto* range = filters.if_contains("date_range")) {
    if (!range->is_object()) {
      return invalid_field("filters.date_range", "must be an object");
    }
    if (auto problem = read_instant(range->as_object(), "start", filter.created_after)) {
      return problem;
    }
    if (auto problem = read_instant(range->as_object(), "end", filter.created_before)) {
      return problem;
    }
  }
  return std::nullopt;
}

input_result parse_search(const boost::json::object& payload) {
  search_input input;
  if (auto problem = first_error([&] { return require_string(payload, "query", input.query); },
                                 [&] { return read_int(payload, "limit", input.limit); },
                                 [&] { return read_filter(payload, input.filter); })) {
    return *problem;
  }
  return operation_input{std::move(input)};
}

input_result parse_create(const boost::json::object& payload) {
  create_input input;
  if (auto problem =
          first_error([&] { return require_string(payload, "content", input.content); },
                      [&] { return read_object(payload, "metadata", input.metadata); },
                      [&] { return read_strings(payload, "categories", input.categories); },
                      [&] { return read_bool(payload, "infer", input.infer); })) {
    return *problem;
  }
  if (const auto* categories = payload.if_contains("categories")) {
    input.metadata["categories"] = *categories;
  }
  if (const auto* priority = payload.if_contains("priority")) {
    if (!priority->is_string() && !priority->is_number()) {
      return invalid_field("priority", "must be a string or a number");
    }
    input.metadata["priority"] = *priority;
  }
  return operation_input{std::move(input)};
}

input_result parse_update(const boost::json::object& payload) {
  update_input input;
  if (auto problem =
          first_error([&] { return require_string(payload, "memory_id", input.memory_id); },
                      [&] { return require_string(payload, "content", input.content); },
                      [&] { return read_object(payload, "metadata", input.metadata); })) {
    return *problem;
  }
  return operation_input{std::move(input)};
}

input_result parse_list(const boost::json::object& payload) {
  list_input input;
  if (auto problem = first_error([&] { return read_int(payload, "page", input.page); },
                                 [&] { return read_int(payload, "page_size", input.page_size); })) {
    return *problem;
  }
  return operation_input{input};
}

}  // namespace

auth::value_or_error<operation_input, error> parse_operation_input(
    queue::operation op, const boost::json::object& payload) {
  switch (op) {
    case queue::operation::search:
      return parse_search(payload);
    case queue::operation::create:
      return parse_create(payload);
    case queue::operation::get: {
      get_input input;
      if (auto problem = require_string(payload, "memory_id", input.memory_id)) {
        return *problem;
      }
      return operation_input{std::move(input)};
    }
    case queue::operation::list:
      return parse_list(payload);
    case queue::operation::update:
      return parse_update(payload);
    case queue::operation::remove: {
      delete_input input;
      if (auto problem = require_string(payload, "memory_id", input.memory_id)) {
        return *problem;
      }
      return operation_input{std::move(input)};
    }
    case queue::operation::history: {
      history_input input;
      if (auto problem = require_string(payload, "memory_id", input.memory_id)) {
        return *problem;
      }
      return operation_input{std::move(input)};
    }
    case queue::operation::forget:
      return operation_input{forget_input{}};
  }
  return error{error_kind::invalid_input, "unknown operation"};
}

}  // namespace gpt_adapter::memory_bank
