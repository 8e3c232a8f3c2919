#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Validation of what an operator gives for an end user. Pure; throws invalid_input
// (application_input.hpp) saying what is accepted.
namespace gpt_adapter::admin {

inline constexpr std::size_t min_password_length = 12;
inline constexpr std::size_t max_password_length = 1024;

// 1 to 128 characters of letters, digits and . _ @ + - (an e-mail address fits).
std::string parse_username(std::string_view text);

// A password read from standard input: the first line without its line ending, 12 to 1024
// bytes, no control characters.
std::string parse_password(std::string_view text);

}  // namespace gpt_adapter::admin
