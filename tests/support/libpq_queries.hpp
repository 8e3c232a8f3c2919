#pragma once

#include <optional>
#include <string>
#include <vector>

// A test's own view of the database, through libpq directly: what it reads does not depend on
// the code under test (postgres_queries.hpp goes through the project's pool instead).
namespace gpt_adapter::testing {

// The rows of one query ($1... bound to `params`) as text, nullopt for NULL; requires that the
// connection and the query succeed.
std::vector<std::vector<std::optional<std::string>>> query_rows(
    const std::string& url, const std::string& sql, const std::vector<std::string>& params = {});

}  // namespace gpt_adapter::testing
