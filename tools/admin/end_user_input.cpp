#include "tools/admin/end_user_input.hpp"

#include <algorithm>

#include "tools/admin/application_input.hpp"

namespace gpt_adapter::admin {

std::string parse_username(std::string_view text) {
  constexpr std::size_t max_length = 128;
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '+' || c == '-';
  };
  if (text.empty() || text.size() > max_length || !std::all_of(text.begin(), text.end(), allowed)) {
    throw invalid_input("expected 1 to 128 letters, digits and . _ @ + -");
  }
  return std::string(text);
}

std::string parse_password(std::string_view text) {
  const auto line_end = text.find_first_of("\r\n");
  const auto password = text.substr(0, line_end);
  if (password.size() < min_password_length || password.size() > max_password_length) {
    throw invalid_input("the password must be " + std::to_string(min_password_length) + " to " +
                        std::to_string(max_password_length) + " characters long");
  }
  if (std::any_of(password.begin(), password.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw invalid_input("the password must not contain control characters");
  }
  return std::string(password);
}

}  // namespace gpt_adapter::admin
