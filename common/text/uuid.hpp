#pragma once

#include <string>
#include <string_view>

namespace gpt_adapter::text {

// A random (version 4) UUID in its canonical lower-case form, from the OpenSSL CSPRNG.
std::string uuid_v4();

// Whether `text` is a UUID in canonical form (8-4-4-4-12 hex digits, either case), as
// PostgreSQL's uuid type will accept it.
bool is_uuid(std::string_view text);

}  // namespace gpt_adapter::text
