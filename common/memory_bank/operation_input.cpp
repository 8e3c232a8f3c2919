#include "common/memory_bank/operation_input.hpp"

#include <optional>
#include <string>
#include <string_view>

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

input_result parse_search(const boost::json::object& payload) {
  search_input input;
  if (auto problem = first_error([&] { return require_string(payload, "query", input.query); },
                                 [&] { return read_int(payload, "limit", input.limit); },
                                 [&] { return read_object(payload, "filters", input.filters); })) {
    return *problem;
  }
  return operation_input{std::move(input)};
}

input_result parse_create(const boost::json::object& payload) {
  create_input input;
  if (auto problem =
          first_error([&] { return require_string(payload, "content", input.content); },
                      [&] { return read_object(payload, "metadata", input.metadata); })) {
    return *problem;
  }
  if (const auto* categories = payload.if_contains("categories")) {
    if (!categories->is_array()) {
      return invalid_field("categories", "must be an array of strings");
    }
    for (const auto& category : categories->as_array()) {
      if (!category.is_string()) {
        return invalid_field("categories", "must be an array of strings");
      }
    }
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
  }
  return error{error_kind::invalid_input, "unknown operation"};
}

}  // namespace gpt_adapter::memory_bank
