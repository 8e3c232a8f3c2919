#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

// Connection strings as libpq reads them, so the pool can look host names up without blocking
// (libpq itself would call getaddrinfo synchronously) and log its target without the password.
namespace gpt_adapter::postgres {

using conninfo_settings = std::vector<std::pair<std::string, std::string>>;

// Parses a URL or key=value string the way libpq does (only the settings it names). Throws
// postgres::error on bad syntax, without echoing the string (it may hold a password).
conninfo_settings parse_conninfo(const std::string& conninfo);

// The value of a setting, or empty when absent.
std::string setting(const conninfo_settings& settings, const std::string& keyword);

// Adds keyword=value unless the string already sets the keyword.
void set_default(conninfo_settings& settings, const std::string& keyword, const std::string& value);

// "user@host:port/dbname" for logs and errors; never includes the password.
std::string describe_target(const conninfo_settings& settings);

// Host names (not addresses, not socket directories) that libpq would look up itself; empty
// when the string pins addresses with `hostaddr` already.
std::vector<std::string> hosts_to_resolve(const conninfo_settings& settings);

// The settings with each looked-up host pinned to its addresses through `hostaddr`, one host
// entry per address and in the resolver's order, so libpq still falls back from one address
// to the next. `host` stays the name, which TLS verification and .pgpass match on.
conninfo_settings with_resolved_addresses(
    const conninfo_settings& settings,
    const std::map<std::string, std::vector<std::string>>& addresses);

}  // namespace gpt_adapter::postgres
