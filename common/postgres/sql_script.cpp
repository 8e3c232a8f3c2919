#include "common/postgres/sql_script.hpp"

#include <cctype>
#include <stdexcept>

namespace gpt_adapter::postgres {

namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// The dollar-quote opening tag ("$$" or "$name$") at `position`, or empty if there is none.
std::string_view dollar_tag_at(std::string_view script, std::size_t position) {
  if (position > 0 && is_identifier_char(script[position - 1])) {
    return {};  // '$' inside an identifier such as a$b
  }
  std::size_t end = position + 1;
  if (end < script.size() && std::isdigit(static_cast<unsigned char>(script[end])) != 0) {
    return {};  // a positional parameter such as $1
  }
  while (end < script.size() && script[end] != '$') {
    if (!is_identifier_char(script[end])) {
      return {};
    }
    ++end;
  }
  if (end >= script.size()) {
    return {};
  }
  return script.substr(position, end - position + 1);
}

std::string trimmed(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) {
    ++begin;
  }
  while (end > begin && is_space(text[end - 1])) {
    --end;
  }
  return std::string(text.substr(begin, end - begin));
}

}  // namespace

std::vector<std::string> split_sql_statements(std::string_view script) {
  std::vector<std::string> statements;
  std::size_t start = 0;
  bool has_code = false;  // anything besides whitespace and comments since `start`
  std::size_t i = 0;
  const auto finish_statement = [&](std::size_t end) {
    if (has_code) {
      statements.push_back(trimmed(script.substr(start, end - start)));
    }
    start = end + 1;
    has_code = false;
  };
  const auto unterminated = [](const char* what) {
    return std::invalid_argument(std::string("SQL script ends inside ") + what);
  };
  while (i < script.size()) {
    const char c = script[i];
    const char next = i + 1 < script.size() ? script[i + 1] : '\0';
    if (c == '-' && next == '-') {
      const std::size_t newline = script.find('\n', i);
      i = newline == std::string_view::npos ? script.size() : newline + 1;
    } else if (c == '/' && next == '*') {
      int depth = 1;
      i += 2;
      while (depth > 0) {
        if (i + 1 >= script.size()) {
          throw unterminated("a /* comment */");
        }
        if (script[i] == '/' && script[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (script[i] == '*' && script[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '\'' || c == '"') {
      // E'...' strings take backslash escapes; standard strings and identifiers do not.
      const bool backslash_escapes = c == '\'' && i > 0 &&
                                     (script[i - 1] == 'E' || script[i - 1] == 'e') &&
                                     (i < 2 || !is_identifier_char(script[i - 2]));
      has_code = true;
      ++i;
      while (true) {
        if (i >= script.size()) {
          throw unterminated(c == '"' ? "a quoted identifier" : "a string literal");
        }
        if (backslash_escapes && script[i] == '\\') {
          i += 2;
        } else if (script[i] == c) {
          if (i + 1 < script.size() && script[i + 1] == c) {
            i += 2;  // doubled quote
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (c == '$' && !dollar_tag_at(script, i).empty()) {
      const std::string_view tag = dollar_tag_at(script, i);
      const std::size_t close = script.find(tag, i + tag.size());
      if (close == std::string_view::npos) {
        throw unterminated("a dollar-quoted string");
      }
      has_code = true;
      i = close + tag.size();
    } else if (c == ';') {
      finish_statement(i);
      ++i;
    } else {
      has_code = has_code || !is_space(c);
      ++i;
    }
  }
  finish_statement(script.size());
  return statements;
}

}  // namespace gpt_adapter::postgres
