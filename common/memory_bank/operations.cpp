#include "common/memory_bank/operations.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/text/uuid.hpp"

namespace gpt_adapter::memory_bank {
namespace {

constexpr std::array<std::pair<change_event, std::string_view>, 4> change_event_names{{
    {change_event::add, "ADD"},
    {change_event::update, "UPDATE"},
    {change_event::remove, "DELETE"},
    {change_event::none, "NONE"},
}};

}  // namespace

std::string_view operation_name(const operation_input& input) {
  struct namer {
    std::string_view operator()(const search_input&) const { return "search"; }
    std::string_view operator()(const create_input&) const { return "create"; }
    std::string_view operator()(const get_input&) const { return "get"; }
    std::string_view operator()(const list_input&) const { return "list"; }
    std::string_view operator()(const update_input&) const { return "update"; }
    std::string_view operator()(const delete_input&) const { return "delete"; }
    std::string_view operator()(const history_input&) const { return "history"; }
    std::string_view operator()(const forget_input&) const { return "forget"; }
  };
  return std::visit(namer{}, input);
}

std::string_view to_string(change_event event) {
  for (const auto& [value, name] : change_event_names) {
    if (value == event) {
      return name;
    }
  }
  return "NONE";
}

std::optional<change_event> parse_change_event(std::string_view text) {
  for (const auto& [value, name] : change_event_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

bool is_memory_id(std::string_view text) {
  return text::is_uuid(text);
}

bool is_sendable_entity_id(std::string_view text) {
  return !text.empty() && text != "*" && std::none_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  });
}

}  // namespace gpt_adapter::memory_bank
