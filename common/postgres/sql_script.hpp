#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gpt_adapter::postgres {

// Splits a migration script into its statements, so each can go through the extended query
// protocol (PQsendQueryParams), which takes one statement at a time. Semicolons inside quoted
// strings ('...', E'...'), quoted identifiers, dollar-quoted bodies ($tag$...$tag$) and comments
// (--, nested /* */) do not split. SQL-standard `BEGIN ATOMIC ... END` bodies are not
// recognised: write function bodies dollar-quoted. Statements holding only comments are dropped.
std::vector<std::string> split_sql_statements(std::string_view script);

}  // namespace gpt_adapter::postgres
