#include "tools/memory-bank-dev/oss_filters.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace gpt_adapter::memory_bank_dev {
namespace {

namespace json = boost::json;

// The operators Memory._process_metadata_filters maps and pgvector's OPERATOR_SQL_MAP knows.
constexpr std::array<std::string_view, 10> operators{"eq",  "ne", "gt",  "gte",      "lt",
                                                     "lte", "in", "nin", "contains", "icontains"};

bool is_operator(std::string_view name) {
  return std::find(operators.begin(), operators.end(), name) != operators.end();
}

bool is_entity(std::string_view key) {
  return key == "user_id" || key == "agent_id" || key == "run_id";
}

bool is_logical(std::string_view key) {
  return key == "AND" || key == "OR" || key == "NOT";
}

std::string number_text(double value) {
  std::array<char, 64> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return error == std::errc{} ? std::string(buffer.data(), end) : std::string("NaN");
}

void write_jsonb(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::string:
      out += json::serialize(value);
      return;
    case json::kind::object: {
      // jsonb keeps object keys ordered by length, then by their bytes.
      std::vector<const json::key_value_pair*> members;
      for (const auto& member : value.as_object()) {
        members.push_back(&member);
      }
      std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
        return a->key().size() != b->key().size() ? a->key().size() < b->key().size()
                                                  : a->key() < b->key();
      });
      out += '{';
      for (std::size_t i = 0; i < members.size(); ++i) {
        out += i == 0 ? "" : ", ";
        out += json::serialize(json::value(members[i]->key()));
        out += ": ";
        write_jsonb(members[i]->value(), out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      const auto& items = value.as_array();
      for (std::size_t i = 0; i < items.size(); ++i) {
        out += i == 0 ? "" : ", ";
        write_jsonb(items[i], out);
      }
      out += ']';
      return;
    }
    default:
      out += *jsonb_text(&value);
  }
}

std::optional<double> numeric(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// float(value) in Python: a ValueError (400) for text that is not a number.
auth::value_or_error<double, filter_refusal> python_float(const json::value& value) {
  if (value.is_bool()) {
    return value.as_bool() ? 1.0 : 0.0;
  }
  if (value.is_number()) {
    return value.to_number<double>();
  }
  if (value.is_string()) {
    if (auto parsed = numeric(value.as_string())) {
      return *parsed;
    }
    return filter_refusal{"could not convert string to float: '" + std::string(value.as_string()) +
                          "'"};
  }
  return filter_refusal{"float() argument must be a string or a real number, not '" +
                        std::string(value.is_null() ? "NoneType" : "list") + "'"};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

using conditions = std::vector<payload_predicate>;
using compiled = auth::value_or_error<conditions, filter_refusal>;

payload_predicate all_of(conditions parts) {
  return [parts = std::move(parts)](const json::object& payload) {
    return std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return part(payload); });
  };
}

std::optional<std::string> text_at(const json::object& payload, const std::string& key) {
  return jsonb_text(payload.if_contains(key));
}

compiled build_conditions(const json::object& filters);

// One `key: {op: value, ...}` of pgvector's _build_filter_conditions.
std::optional<filter_refusal> operator_conditions(const std::string& key, const json::object& ops,
                                                  conditions& out) {
  for (const auto& [op_name, op_value] : ops) {
    const std::string op(op_name);
    if (!is_operator(op)) {
      return filter_refusal{"Unsupported filter operator: " + op};
    }
    if (op == "in" || op == "nin") {
      if (!op_value.is_array()) {
        return filter_refusal{"Filter operator '" + op + "' for key '" + key +
                              "' requires a list value, got " +
                              (op_value.is_string() ? "str" : "non-list")};
      }
      std::vector<std::string> listed;
      for (const auto& item : op_value.as_array()) {
        listed.push_back(python_str(item));
      }
      const bool negate = op == "nin";
      out.push_back([key, listed, negate](const json::object& payload) {
        const auto have = text_at(payload, key);
        if (!have) {
          return false;  // NULL = ANY(...) is NULL, and so is its negation
        }
        const bool found = std::find(listed.begin(), listed.end(), *have) != listed.end();
        return negate ? !found : found;
      });
    } else if (op == "contains" || op == "icontains") {
      const bool fold = op == "icontains";
      const auto needle = fold ? lower(python_str(op_value)) : python_str(op_value);
      out.push_back([key, needle, fold](const json::object& payload) {
        const auto have = text_at(payload, key);
        return have && (fold ? lower(*have) : *have).find(needle) != std::string::npos;
      });
    } else if (op == "eq" || op == "ne") {
      const auto wanted = python_str(op_value);
      const bool equal = op == "eq";
      out.push_back([key, wanted, equal](const json::object& payload) {
        const auto have = text_at(payload, key);
        return have && ((*have == wanted) == equal);
      });
    } else {
      auto bound = python_float(op_value);
      if (!bound) {
        return bound.error();
      }
      out.push_back([key, op, limit = bound.value()](const json::object& payload) {
        const auto have = text_at(payload, key);
        if (!have) {
          return false;
        }
        const auto number = numeric(*have);
        if (!number) {
          throw store_failure("invalid input syntax for type numeric: \"" + *have + "\"");
        }
        return op == "gt"    ? *number > limit
               : op == "gte" ? *number >= limit
               : op == "lt"  ? *number < limit
                             : *number <= limit;
      });
    }
  }
  return std::nullopt;
}

// A list of sub-filters combined with OR ($or) or NOT-of-OR ($not).
std::optional<filter_refusal> group_conditions(const json::value& value, bool negate,
                                               conditions& out) {
  if (!value.is_array()) {
    return filter_refusal{"a logical operator requires a list of conditions"};
  }
  std::vector<payload_predicate> groups;
  for (const auto& item : value.as_array()) {
    if (!item.is_object()) {
      return filter_refusal{"a logical condition must be an object"};
    }
    auto built = build_conditions(item.as_object());
    if (!built) {
      return built.error();
    }
    if (!built.value().empty()) {
      groups.push_back(all_of(std::move(built).value()));
    }
  }
  if (groups.empty()) {
    return std::nullopt;
  }
  out.push_back([groups, negate](const json::object& payload) {
    const bool any = std::any_of(groups.begin(), groups.end(),
                                 [&](const auto& group) { return group(payload); });
    return negate ? !any : any;
  });
  return std::nullopt;
}

compiled build_conditions(const json::object& filters) {
  conditions out;
  for (const auto& [name, value] : filters) {
    const std::string key(name);
    std::optional<filter_refusal> refused;
    if (key == "$or" || key == "$not") {
      refused = group_conditions(value, key == "$not", out);
    } else if (value.is_string() && value.as_string() == "*") {
      out.push_back([key](const json::object& payload) { return payload.contains(key); });
    } else if (value.is_object()) {
      refused = operator_conditions(key, value.as_object(), out);
    } else if (value.is_array()) {
      std::vector<std::string> listed;
      for (const auto& item : value.as_array()) {
        listed.push_back(python_str(item));
      }
      out.push_back([key, listed](const json::object& payload) {
        const auto have = text_at(payload, key);
        return have && std::find(listed.begin(), listed.end(), *have) != listed.end();
      });
    } else {
      // Booleans are compared as JSON text, everything else as str().
      const auto wanted =
          value.is_bool() ? std::string(value.as_bool() ? "true" : "false") : python_str(value);
      out.push_back([key, wanted](const json::object& payload) {
        const auto have = text_at(payload, key);
        return have && *have == wanted;
      });
    }
    if (refused) {
      return *refused;
    }
  }
  return out;
}

bool has_advanced_operators(const json::object& filters) {
  for (const auto& [key, value] : filters) {
    if (is_logical(key)) {
      return true;
    }
    if (value.is_object()) {
      for (const auto& [op, unused] : value.as_object()) {
        if (is_operator(op)) {
          return true;
        }
      }
    }
    if (value.is_string() && value.as_string() == "*") {
      return true;
    }
  }
  return false;
}

void merge_into(json::object& target, const json::object& source) {
  for (const auto& [key, value] : source) {
    if (auto* existing = target.if_contains(key);
        existing != nullptr && existing->is_object() && value.is_object()) {
      for (const auto& [op, operand] : value.as_object()) {
        existing->as_object()[op] = operand;
      }
    } else {
      target[key] = value;
    }
  }
}

auth::value_or_error<json::object, filter_refusal> process_condition(std::string_view key,
                                                                     const json::value& condition) {
  if (!condition.is_object()) {
    return json::object{{key, condition}};
  }
  json::object ops;
  for (const auto& [op, value] : condition.as_object()) {
    if (!is_operator(op)) {
      return filter_refusal{"Unsupported metadata filter operator: " + std::string(op)};
    }
    ops[op] = value;
  }
  return json::object{{key, std::move(ops)}};
}

// Memory._process_metadata_filters.
auth::value_or_error<json::object, filter_refusal> process_metadata_filters(
    const json::object& filters) {
  json::object processed;
  const auto merge_conditions = [](const json::value& condition,
                                   json::object& into) -> std::optional<filter_refusal> {
    if (!condition.is_object()) {
      return filter_refusal{"a logical condition must be an object"};
    }
    for (const auto& [sub_key, sub_value] : condition.as_object()) {
      auto one = process_condition(sub_key, sub_value);
      if (!one) {
        return one.error();
      }
      merge_into(into, one.value());
    }
    return std::nullopt;
  };
  for (const auto& [key, value] : filters) {
    if (key == "AND") {
      if (!value.is_array()) {
        return filter_refusal{"AND operator requires a list of conditions"};
      }
      for (const auto& condition : value.as_array()) {
        if (auto refused = merge_conditions(condition, processed)) {
          return *refused;
        }
      }
    } else if (key == "OR" || key == "NOT") {
      if (!value.is_array() || value.as_array().empty()) {
        return filter_refusal{std::string(key) +
                              " operator requires a non-empty list of conditions"};
      }
      json::array groups;
      for (const auto& condition : value.as_array()) {
        json::object group;
        if (auto refused = merge_conditions(condition, group)) {
          return *refused;
        }
        groups.push_back(std::move(group));
      }
      processed[key == "OR" ? "$or" : "$not"] = std::move(groups);
    } else {
      auto one = process_condition(key, value);
      if (!one) {
        return one.error();
      }
      merge_into(processed, one.value());
    }
  }
  return processed;
}

}  // namespace

std::optional<std::string> jsonb_text(const json::value* value) {
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  switch (value->kind()) {
    case json::kind::string:
      return std::string(value->as_string());
    case json::kind::bool_:
      return std::string(value->as_bool() ? "true" : "false");
    case json::kind::int64:
      return std::to_string(value->as_int64());
    case json::kind::uint64:
      return std::to_string(value->as_uint64());
    case json::kind::double_:
      return number_text(value->as_double());
    default: {
      std::string out;
      write_jsonb(*value, out);
      return out;
    }
  }
}

std::string python_str(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      return std::string(value.as_string());
    case json::kind::bool_:
      return value.as_bool() ? "True" : "False";
    case json::kind::null:
      return "None";
    case json::kind::int64:
      return std::to_string(value.as_int64());
    case json::kind::uint64:
      return std::to_string(value.as_uint64());
    case json::kind::double_: {
      auto text = number_text(value.as_double());
      if (text.find_first_of(".eEn") == std::string::npos) {
        text += ".0";
      }
      return text;
    }
    default:
      return json::serialize(value);
  }
}

auth::value_or_error<payload_predicate, filter_refusal> compile_oss_filters(
    const json::object& filters) {
  json::object effective = filters;
  if (has_advanced_operators(filters)) {
    auto processed = process_metadata_filters(filters);
    if (!processed) {
      return processed.error();
    }
    for (const std::string_view logical : {"AND", "OR", "NOT"}) {
      effective.erase(logical);
    }
    for (auto it = effective.begin(); it != effective.end();) {
      if (!is_entity(it->key()) && it->value().is_object()) {
        it = effective.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, value] : processed.value()) {
      effective[key] = value;
    }
  }
  auto built = build_conditions(effective);
  if (!built) {
    return built.error();
  }
  return all_of(std::move(built).value());
}

}  // namespace gpt_adapter::memory_bank_dev
