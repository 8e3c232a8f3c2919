#include "tests/support/metric_references.hpp"

#include <cctype>
#include <optional>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace gpt_adapter::testing {
namespace {

bool identifier_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}

bool identifier_char(char c) {
  return identifier_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

const std::set<std::string, std::less<>> label_list_keywords = {
    "by", "without", "on", "ignoring", "group_left", "group_right"};
const std::set<std::string, std::less<>> operator_keywords = {
    "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN", "start", "end"};
// Aggregation operators, which may be followed by `by (...)` before their parenthesis.
const std::set<std::string, std::less<>> aggregators = {
    "sum",   "min",          "max",     "avg",  "group",    "stddev", "stdvar",
    "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"};
const std::set<std::string, std::less<>> counter_functions = {"rate", "irate", "increase",
                                                              "resets"};

class promql_scanner {
 public:
  explicit promql_scanner(std::string_view text) : text_(text) {}

  promql_references scan() {
    int depth = 0;
    bool counter_argument = false;
    while (skip_space(), pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"' || c == '\'' || c == '`') {
        skip_string();
      } else if (text_.substr(pos_, 2) == "<<") {
        skip_template();
      } else if (c == '$') {
        skip_variable();
      } else if (c == '[') {
        const auto close = text_.find(']', pos_);
        if (close == std::string_view::npos) {
          throw std::invalid_argument("unterminated [ in: " + std::string(text_));
        }
        pos_ = close + 1;
      } else if (c == ']') {
        throw std::invalid_argument("unbalanced ] in: " + std::string(text_));
      } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
                 (c == '.' && pos_ + 1 < text_.size() &&
                  std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) != 0)) {
        while (pos_ < text_.size() && (word_char(text_[pos_]) || text_[pos_] == '.')) {
          ++pos_;
        }
      } else if (identifier_start(c)) {
        const auto word = read_identifier();
        skip_space();
        const bool call = pos_ < text_.size() && text_[pos_] == '(';
        if (label_list_keywords.contains(word)) {
          if (call) {
            read_label_list();
          }
        } else if (operator_keywords.contains(word) || (aggregators.contains(word) && !call)) {
          // nothing to record
        } else if (call) {
          counter_argument = counter_functions.contains(word);
        } else {
          metric_selector selector{.metric = word, .labels = {}, .counter_function = false};
          if (pos_ < text_.size() && text_[pos_] == '{') {
            read_matchers(selector);
          }
          selector.counter_function = counter_argument;
          counter_argument = false;
          result_.selectors.push_back(std::move(selector));
        }
      } else if (c == '{') {
        metric_selector selector;
        read_matchers(selector);
        if (!selector.metric.empty()) {
          selector.counter_function = counter_argument;
          result_.selectors.push_back(std::move(selector));
        }
        counter_argument = false;
      } else if (c == '}') {
        throw std::invalid_argument("unbalanced } in: " + std::string(text_));
      } else {
        if (c == '(') {
          ++depth;
        } else if (c == ')') {
          if (--depth < 0) {
            throw std::invalid_argument("unbalanced ) in: " + std::string(text_));
          }
        }
        ++pos_;
      }
    }
    if (depth != 0) {
      throw std::invalid_argument("unbalanced ( in: " + std::string(text_));
    }
    return std::move(result_);
  }

 private:
  void skip_space() {
    while (pos_ < text_.size()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
        ++pos_;
      } else if (text_[pos_] == '#') {
        const auto end = text_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end;
      } else {
        return;
      }
    }
  }

  std::string read_identifier() {
    const auto start = pos_;
    while (pos_ < text_.size() && identifier_char(text_[pos_])) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  // A quoted string at pos_; returns its content (escapes kept, enough for label values).
  std::string skip_string() {
    const char quote = text_[pos_];
    const auto start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && quote != '`') {
        ++pos_;
      }
      ++pos_;
    }
    if (pos_ >= text_.size()) {
      throw std::invalid_argument("unterminated string in: " + std::string(text_));
    }
    return std::string(text_.substr(start, pos_++ - start));
  }

  void skip_template() {
    const auto close = text_.find(">>", pos_);
    if (close == std::string_view::npos) {
      throw std::invalid_argument("unterminated << in: " + std::string(text_));
    }
    pos_ = close + 2;
  }

  void skip_variable() {
    ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '{') {
      const auto close = text_.find('}', pos_);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("unterminated ${ in: " + std::string(text_));
      }
      pos_ = close + 1;
      return;
    }
    while (pos_ < text_.size() && word_char(text_[pos_])) {
      ++pos_;
    }
  }

  void read_label_list() {
    ++pos_;  // (
    while (skip_space(), pos_ < text_.size() && text_[pos_] != ')') {
      if (identifier_start(text_[pos_])) {
        result_.grouping_labels.insert(read_identifier());
      } else if (text_[pos_] == ',') {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "<<") {
        skip_template();
      } else {
        throw std::invalid_argument("unexpected character in a label list: " + std::string(text_));
      }
    }
    if (pos_ >= text_.size()) {
      throw std::invalid_argument("unterminated label list in: " + std::string(text_));
    }
    ++pos_;  // )
  }

  void read_matchers(metric_selector& selector) {
    ++pos_;  // {
    while (skip_space(), pos_ < text_.size() && text_[pos_] != '}') {
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_.substr(pos_, 2) == "<<") {
        skip_template();
        continue;
      }
      if (!identifier_start(text_[pos_])) {
        throw std::invalid_argument("expected a label name in: " + std::string(text_));
      }
      const auto label = read_identifier();
      skip_space();
      const auto op_start = pos_;
      while (pos_ < text_.size() &&
             (text_[pos_] == '=' || text_[pos_] == '!' || text_[pos_] == '~')) {
        ++pos_;
      }
      const auto op = text_.substr(op_start, pos_ - op_start);
      if (op != "=" && op != "!=" && op != "=~" && op != "!~") {
        throw std::invalid_argument("expected a matcher operator after " + label +
                                    " in: " + std::string(text_));
      }
      skip_space();
      if (pos_ >= text_.size() ||
          (text_[pos_] != '"' && text_[pos_] != '\'' && text_[pos_] != '`')) {
        throw std::invalid_argument("expected a quoted value after " + label +
                                    " in: " + std::string(text_));
      }
      const auto value = skip_string();
      if (label == "__name__") {
        if (op == "=") {
          selector.metric = value;
        }
      } else {
        selector.labels.insert(label);
      }
    }
    if (pos_ >= text_.size()) {
      throw std::invalid_argument("unterminated { in: " + std::string(text_));
    }
    ++pos_;  // }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  promql_references result_;
};

std::size_t indentation(std::string_view line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string_view::npos ? line.size() : first;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

struct key_value {
  std::size_t key_column;
  std::string_view value;
};

// The value of `key: value` on this line when the key is one of ours (after an optional "- "),
// with the key's column: the lines of its value are indented further.
std::optional<key_value> expression_key_value(std::string_view line) {
  auto rest = line.substr(indentation(line));
  if (rest.starts_with("- ")) {
    rest = rest.substr(2);
    rest = rest.substr(indentation(rest));
  }
  const auto column = line.size() - rest.size();
  for (const std::string_view key : {"expr", "seriesQuery", "metricsQuery"}) {
    if (rest.starts_with(key)) {
      auto after = rest.substr(key.size());
      after = after.substr(indentation(after));
      if (after.starts_with(':') && (after.size() == 1 || after[1] == ' ' || after[1] == '\r')) {
        return key_value{column, trim(after.substr(1))};
      }
    }
  }
  return std::nullopt;
}

std::string unquote(std::string_view value, std::size_t line_number) {
  const char quote = value.front();
  std::string out;
  for (std::size_t i = 1; i < value.size(); ++i) {
    const char c = value[i];
    if (quote == '\'' && c == '\'') {
      if (i + 1 < value.size() && value[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
        continue;
      }
      return out;
    }
    if (quote == '"' && c == '\\' && i + 1 < value.size()) {
      out.push_back(value[++i]);
      continue;
    }
    if (quote == '"' && c == '"') {
      return out;
    }
    out.push_back(c);
  }
  throw std::invalid_argument("line " + std::to_string(line_number) +
                              ": quoted expression does not end on its line");
}

void collect_json(const boost::json::value& value, std::vector<std::string>& out) {
  if (const auto* object = value.if_object()) {
    for (const auto& [key, member] : *object) {
      if (key == "expr" && member.is_string()) {
        out.emplace_back(member.as_string());
      } else {
        collect_json(member, out);
      }
    }
  } else if (const auto* array = value.if_array()) {
    for (const auto& element : *array) {
      collect_json(element, out);
    }
  }
}

}  // namespace

promql_references parse_promql(std::string_view expression) {
  return promql_scanner(expression).scan();
}

std::vector<std::string> yaml_promql_expressions(std::string_view yaml) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= yaml.size();) {
    const auto end = yaml.find('\n', start);
    lines.push_back(
        yaml.substr(start, end == std::string_view::npos ? yaml.size() - start : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto found = expression_key_value(lines[i]);
    if (!found) {
      continue;
    }
    const auto key_indent = found->key_column;
    const auto* value = &found->value;
    std::string expression;
    if (!value->empty() && (value->front() == '"' || value->front() == '\'')) {
      expression = unquote(*value, i + 1);
    } else {
      const bool block = !value->empty() && (value->front() == '|' || value->front() == '>');
      if (!block) {
        auto plain = *value;
        if (const auto comment = plain.find(" #"); comment != std::string_view::npos) {
          plain = trim(plain.substr(0, comment));
        }
        expression = std::string(plain);
      }
      // Block scalar lines, or continuation lines of a plain scalar: more indented than the key.
      while (i + 1 < lines.size() &&
             (blank(lines[i + 1]) || indentation(lines[i + 1]) > key_indent)) {
        ++i;
        if (!expression.empty()) {
          expression.push_back('\n');
        }
        expression.append(trim(lines[i]));
      }
    }
    const auto trimmed = trim(expression);
    if (!trimmed.empty()) {
      out.emplace_back(trimmed);
    }
  }
  return out;
}

std::vector<std::string> json_promql_expressions(std::string_view json) {
  std::vector<std::string> out;
  collect_json(boost::json::parse(json), out);
  return out;
}

std::set<std::string> namespaced_words(std::string_view text,
                                       const std::set<std::string>& ignored) {
  static constexpr std::string_view prefix = "gpt_adapter_";
  std::set<std::string> out;
  for (auto at = text.find(prefix); at != std::string_view::npos; at = text.find(prefix, at + 1)) {
    if (at > 0 && word_char(text[at - 1])) {
      continue;
    }
    auto end = at + prefix.size();
    while (end < text.size() && word_char(text[end])) {
      ++end;
    }
    std::string word(text.substr(at, end - at));
    if (word.size() > prefix.size() && !ignored.contains(word)) {
      out.insert(std::move(word));
    }
    at = end - 1;
  }
  return out;
}

}  // namespace gpt_adapter::testing
