#include "tools/memory-bank-dev/platform_filters.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <vector>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::memory_bank_dev {
namespace {

namespace json = boost::json;
using instant = std::chrono::sys_time<std::chrono::milliseconds>;
using compiled = auth::value_or_error<memory_predicate, platform_refusal>;

constexpr std::array<std::string_view, 17> allowed_keys{"AND",
                                                        "OR",
                                                        "NOT",
                                                        "user_id",
                                                        "agent_id",
                                                        "app_id",
                                                        "run_id",
                                                        "created_at",
                                                        "updated_at",
                                                        "timestamp",
                                                        "expiration_date",
                                                        "text",
                                                        "categories",
                                                        "metadata",
                                                        "keywords_search",
                                                        "memory_ids",
                                                        "keywords"};

platform_refusal refused(std::string error) {
  return platform_refusal{400, std::move(error)};
}

std::string allowed_list() {
  std::string text = "[";
  for (std::size_t i = 0; i < allowed_keys.size(); ++i) {
    text += (i == 0 ? "'" : ", '") + std::string(allowed_keys[i]) + "'";
  }
  return text + "]";
}

bool is_allowed(std::string_view key) {
  return std::find(allowed_keys.begin(), allowed_keys.end(), key) != allowed_keys.end();
}

bool is_entity(std::string_view key) {
  return key == "user_id" || key == "agent_id" || key == "app_id" || key == "run_id";
}

const std::string& entity_value(const stored_memory& memory, std::string_view key) {
  return key == "user_id"    ? memory.owner.user_id
         : key == "agent_id" ? memory.owner.agent_id
         : key == "app_id"   ? memory.owner.app_id
                             : memory.owner.run_id;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A date (YYYY-MM-DD, midnight UTC) or an RFC 3339 date-time.
std::optional<instant> parse_instant(const json::value& value) {
  if (!value.is_string()) {
    return std::nullopt;
  }
  const std::string text(value.as_string());
  if (auto moment = text::parse_rfc3339(text)) {
    return moment;
  }
  if (text.size() == 10) {
    return text::parse_rfc3339(text + "T00:00:00Z");
  }
  return std::nullopt;
}

std::optional<instant> memory_time(const stored_memory& memory, std::string_view field) {
  if (field == "expiration_date") {
    return std::nullopt;
  }
  return text::parse_rfc3339(field == "updated_at" ? memory.updated_at : memory.created_at);
}

compiled compile(const json::object& filters, filter_use use);

compiled entity_condition(const std::string& key, const json::value& condition) {
  if (condition.is_string()) {
    const std::string wanted(condition.as_string());
    if (wanted == "*") {
      return memory_predicate(
          [key](const stored_memory& memory) { return !entity_value(memory, key).empty(); });
    }
    return memory_predicate(
        [key, wanted](const stored_memory& memory) { return entity_value(memory, key) == wanted; });
  }
  if (!condition.is_object() || condition.as_object().size() != 1) {
    return refused("Invalid filter for " + key + ": expected a string or one operator");
  }
  const auto& [op, operand] = *condition.as_object().begin();
  if (op == "eq" || op == "ne") {
    if (!operand.is_string()) {
      return refused("Invalid filter for " + key + ": " + std::string(op) + " takes a string");
    }
    const std::string wanted(operand.as_string());
    const bool equal = op == "eq";
    return memory_predicate([key, wanted, equal](const stored_memory& memory) {
      return (entity_value(memory, key) == wanted) == equal;
    });
  }
  if (op == "in") {
    if (!operand.is_array()) {
      return refused("Invalid filter for " + key + ": in takes a list");
    }
    std::vector<std::string> listed;
    for (const auto& item : operand.as_array()) {
      if (!item.is_string()) {
        return refused("Invalid filter for " + key + ": in takes a list of strings");
      }
      listed.emplace_back(item.as_string());
    }
    return memory_predicate([key, listed](const stored_memory& memory) {
      return std::find(listed.begin(), listed.end(), entity_value(memory, key)) != listed.end();
    });
  }
  return refused("Unsupported operator '" + std::string(op) + "' for " + key);
}

compiled time_condition(const std::string& key, const json::value& condition) {
  if (!condition.is_object()) {
    const auto wanted = parse_instant(condition);
    if (!wanted) {
      return refused("Invalid date for " + key);
    }
    return memory_predicate([key, at = *wanted](const stored_memory& memory) {
      return memory_time(memory, key) == at;
    });
  }
  std::vector<memory_predicate> parts;
  for (const auto& [op_name, operand] : condition.as_object()) {
    const std::string op(op_name);
    if (op == "eq") {
      return refused("Explicit eq is not supported for " + key + "; pass a bare value instead");
    }
    if (op == "in") {
      if (!operand.is_array()) {
        return refused("Invalid filter for " + key + ": in takes a list");
      }
      std::vector<instant> listed;
      for (const auto& item : operand.as_array()) {
        const auto at = parse_instant(item);
        if (!at) {
          return refused("Invalid date for " + key);
        }
        listed.push_back(*at);
      }
      parts.push_back([key, listed](const stored_memory& memory) {
        const auto have = memory_time(memory, key);
        return have && std::find(listed.begin(), listed.end(), *have) != listed.end();
      });
      continue;
    }
    if (op != "gt" && op != "gte" && op != "lt" && op != "lte" && op != "ne") {
      return refused("Unsupported operator '" + op + "' for " + key);
    }
    const auto bound = parse_instant(operand);
    if (!bound) {
      return refused("Invalid date for " + key);
    }
    parts.push_back([key, op, at = *bound](const stored_memory& memory) {
      const auto have = memory_time(memory, key);
      if (!have) {
        return op == "ne";
      }
      return op == "gt"    ? *have > at
             : op == "gte" ? *have >= at
             : op == "lt"  ? *have < at
             : op == "lte" ? *have <= at
                           : *have != at;
    });
  }
  return memory_predicate([parts](const stored_memory& memory) {
    return std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return part(memory); });
  });
}

// The dev server assigns no categories of its own (the Platform's classifier does).
compiled categories_condition(const json::value& condition) {
  if (!condition.is_object() || condition.as_object().size() != 1) {
    return refused("Invalid filter for categories: use in or contains");
  }
  const auto& [op, operand] = *condition.as_object().begin();
  if ((op == "in" && operand.is_array()) || (op == "contains" && operand.is_string())) {
    return memory_predicate([](const stored_memory&) { return false; });
  }
  return refused("Unsupported operator '" + std::string(op) + "' for categories");
}

compiled metadata_condition(const json::value& condition) {
  if (!condition.is_object() || condition.as_object().empty()) {
    return refused("Invalid filter for metadata: expected an object of key conditions");
  }
  std::vector<memory_predicate> parts;
  for (const auto& [key_name, wanted] : condition.as_object()) {
    const std::string key(key_name);
    if (!wanted.is_object()) {
      parts.push_back([key, wanted](const stored_memory& memory) {
        const auto* have = memory.metadata.if_contains(key);
        return have != nullptr && *have == wanted;
      });
      continue;
    }
    if (wanted.as_object().size() != 1) {
      return refused("FilterValidationError: one operator per metadata key");
    }
    const auto& [op, operand] = *wanted.as_object().begin();
    if (op == "eq" || op == "ne") {
      const bool equal = op == "eq";
      parts.push_back([key, operand = json::value(operand), equal](const stored_memory& memory) {
        const auto* have = memory.metadata.if_contains(key);
        return (have != nullptr && *have == operand) == equal;
      });
    } else if (op == "contains" && operand.is_string()) {
      parts.push_back(
          [key, needle = std::string(operand.as_string())](const stored_memory& memory) {
            const auto* have = memory.metadata.if_contains(key);
            return have != nullptr && have->is_string() &&
                   std::string_view(have->as_string()).find(needle) != std::string_view::npos;
          });
    } else {
      return refused(
          "FilterValidationError: metadata filters support only bare values, eq, ne "
          "and contains, not '" +
          std::string(op) + "'");
    }
  }
  return memory_predicate([parts](const stored_memory& memory) {
    return std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return part(memory); });
  });
}

compiled keywords_condition(const json::value& condition, filter_use use) {
  if (use == filter_use::search) {
    // docs/platform/features/v2-memory-filters.mdx: a keywords filter in a search is a 500.
    return platform_refusal{500, "Internal Server Error"};
  }
  if (!condition.is_object() || condition.as_object().size() != 1) {
    return refused("Invalid filter for keywords: use contains or icontains");
  }
  const auto& [op, operand] = *condition.as_object().begin();
  if (!operand.is_string() || (op != "contains" && op != "icontains")) {
    return refused("Unsupported operator '" + std::string(op) + "' for keywords");
  }
  const bool fold = op == "icontains";
  const auto needle = fold ? lower(operand.as_string()) : std::string(operand.as_string());
  return memory_predicate([needle, fold](const stored_memory& memory) {
    return (fold ? lower(memory.text) : memory.text).find(needle) != std::string::npos;
  });
}

compiled memory_ids_condition(const json::value& condition) {
  const json::value* listed = &condition;
  if (condition.is_object() && condition.as_object().size() == 1 &&
      condition.as_object().contains("in")) {
    listed = &condition.as_object().at("in");
  }
  if (!listed->is_array()) {
    return refused("Invalid filter for memory_ids: expected a list");
  }
  std::vector<std::string> ids;
  for (const auto& item : listed->as_array()) {
    if (!item.is_string()) {
      return refused("Invalid filter for memory_ids: expected a list of ids");
    }
    ids.emplace_back(item.as_string());
  }
  return memory_predicate([ids](const stored_memory& memory) {
    return std::find(ids.begin(), ids.end(), memory.id) != ids.end();
  });
}

compiled logical(const std::string& key, const json::value& value, filter_use use) {
  std::vector<const json::object*> items;
  if (value.is_object() && key == "NOT") {
    items.push_back(&value.as_object());
  } else if (value.is_array() && !value.as_array().empty()) {
    for (const auto& item : value.as_array()) {
      if (!item.is_object()) {
        return refused(key + " takes a list of filter objects");
      }
      items.push_back(&item.as_object());
    }
  } else {
    return refused(key + " takes a non-empty list of filter objects");
  }
  std::vector<memory_predicate> parts;
  for (const auto* item : items) {
    auto part = compile(*item, use);
    if (!part) {
      return part.error();
    }
    parts.push_back(std::move(part).value());
  }
  if (key == "AND") {
    return memory_predicate([parts](const stored_memory& memory) {
      return std::all_of(parts.begin(), parts.end(), [&](const auto& p) { return p(memory); });
    });
  }
  const bool negate = key == "NOT";
  return memory_predicate([parts, negate](const stored_memory& memory) {
    const bool any =
        std::any_of(parts.begin(), parts.end(), [&](const auto& p) { return p(memory); });
    return negate ? !any : any;
  });
}

compiled compile(const json::object& filters, filter_use use) {
  std::vector<memory_predicate> parts;
  for (const auto& [name, value] : filters) {
    const std::string key(name);
    if (!is_allowed(key)) {
      return refused("Top-level key must be a logical operator or an allowed field: " +
                     allowed_list());
    }
    compiled part = refused("unreachable");
    if (key == "AND" || key == "OR" || key == "NOT") {
      part = logical(key, value, use);
    } else if (is_entity(key)) {
      part = entity_condition(key, value);
    } else if (key == "created_at" || key == "updated_at" || key == "timestamp" ||
               key == "expiration_date") {
      part = time_condition(key == "timestamp" ? "created_at" : key, value);
    } else if (key == "categories") {
      part = categories_condition(value);
    } else if (key == "metadata") {
      part = metadata_condition(value);
    } else if (key == "keywords") {
      part = keywords_condition(value, use);
    } else if (key == "memory_ids") {
      part = memory_ids_condition(value);
    } else {
      // text and keywords_search: free-text hints, matched case-insensitively.
      if (!value.is_string()) {
        return refused("Invalid filter for " + key + ": expected a string");
      }
      part = memory_predicate([needle = lower(value.as_string())](const stored_memory& memory) {
        return lower(memory.text).find(needle) != std::string::npos;
      });
    }
    if (!part) {
      return part.error();
    }
    parts.push_back(std::move(part).value());
  }
  return memory_predicate([parts](const stored_memory& memory) {
    return std::all_of(parts.begin(), parts.end(), [&](const auto& p) { return p(memory); });
  });
}

// An entity condition that names who is asked about: a value, "*", eq or in (not ne alone).
bool scopes_positively(const json::object& filters) {
  for (const auto& [key, value] : filters) {
    if (is_entity(key)) {
      if (value.is_string() || (value.is_object() && (value.as_object().contains("eq") ||
                                                      value.as_object().contains("in")))) {
        return true;
      }
    }
    if (key == "AND" && value.is_array()) {
      for (const auto& item : value.as_array()) {
        if (item.is_object() && scopes_positively(item.as_object())) {
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace

auth::value_or_error<memory_predicate, platform_refusal> compile_platform_filters(
    const json::object& filters, filter_use use) {
  if (filters.empty()) {
    return refused("filters must not be empty");
  }
  auto predicate = compile(filters, use);
  if (!predicate) {
    return predicate;
  }
  if (!scopes_positively(filters)) {
    return refused(
        "filters must include at least one positively scoped entity id (user_id, agent_id, "
        "app_id or run_id)");
  }
  return predicate;
}

}  // namespace gpt_adapter::memory_bank_dev
