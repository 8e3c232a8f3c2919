#pragma once

#include <map>
#include <string>

// The client scripts under tests/ (oauth4webapi, the MCP SDK) print one JSON line per check,
// {"check": name, "ok": bool, "detail": ...}; this reads them back.
namespace gpt_adapter::testing {

// Each check's name and whether it passed, from a script's output (other lines ignored).
std::map<std::string, bool> node_check_results(const std::string& output);

}  // namespace gpt_adapter::testing
