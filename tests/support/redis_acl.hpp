#pragma once

#include <string>

#include "tests/support/process.hpp"

namespace gpt_adapter::testing {

inline constexpr auto documented_acl_user = "gpt-adapter";

// deploy/redis/users.acl as an aclfile in `dir`, with `password` for the adapter's user. A
// non-empty `default_user` replaces the file's line for the default user (a test's own
// inspection connection may need one). Returns the file's path.
std::string write_documented_acl(const temp_dir& dir, const std::string& password,
                                 const std::string& default_user = {});

}  // namespace gpt_adapter::testing
