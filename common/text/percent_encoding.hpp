#pragma once

#include <optional>
#include <string>
#include <string_view>

// RFC 3986 percent-encoding, shared by URLs we parse (Redis), forms we accept (OAuth) and
// paths we build (Memory Bank).
namespace gpt_adapter::text {

// Encodes every byte outside the unreserved set [A-Za-z0-9-._~].
std::string percent_encode(std::string_view text);

enum class plus_sign { literal, space };

// Decodes %XX escapes (and '+' as a space for application/x-www-form-urlencoded);
// nullopt on a truncated or non-hex escape.
std::optional<std::string> percent_decode(std::string_view text,
                                          plus_sign plus = plus_sign::literal);

}  // namespace gpt_adapter::text
