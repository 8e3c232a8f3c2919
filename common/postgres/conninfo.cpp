#include "common/postgres/conninfo.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <memory>

#include <libpq-fe.h>

#include "common/postgres/error.hpp"

namespace gpt_adapter::postgres {

namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> items;
  if (list.empty()) {
    return items;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    items.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) {
      return items;
    }
    start = comma + 1;
  }
}

std::string join_list(const std::vector<std::string>& items) {
  std::string joined;
  for (std::size_t index = 0; index < items.size(); ++index) {
    joined += (index == 0 ? "" : ",") + items[index];
  }
  return joined;
}

bool is_numeric_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

bool needs_resolution(const std::string& host) {
  // Empty means libpq's default (a Unix socket); '/' and '@' start socket paths.
  return !host.empty() && host.front() != '/' && host.front() != '@' && !is_numeric_address(host);
}

void replace_setting(conninfo_settings& settings, const std::string& keyword,
                     const std::string& value) {
  const auto existing = std::find_if(settings.begin(), settings.end(),
                                     [&](const auto& entry) { return entry.first == keyword; });
  if (existing != settings.end()) {
    existing->second = value;
  } else {
    settings.emplace_back(keyword, value);
  }
}

}  // namespace

conninfo_settings parse_conninfo(const std::string& conninfo) {
  char* message = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &message), &PQconninfoFree);
  if (message != nullptr) {
    PQfreemem(message);
  }
  if (!options) {
    throw error("invalid PostgreSQL connection string (libpq cannot parse it)");
  }
  conninfo_settings settings;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr) {
      settings.emplace_back(option->keyword, option->val);
    }
  }
  return settings;
}

std::string setting(const conninfo_settings& settings, const std::string& keyword) {
  for (const auto& [name, value] : settings) {
    if (name == keyword) {
      return value;
    }
  }
  return {};
}

void set_default(conninfo_settings& settings, const std::string& keyword,
                 const std::string& value) {
  const bool present = std::any_of(settings.begin(), settings.end(),
                                   [&](const auto& entry) { return entry.first == keyword; });
  if (!present) {
    settings.emplace_back(keyword, value);
  }
}

std::string describe_target(const conninfo_settings& settings) {
  std::string target;
  if (const auto user = setting(settings, "user"); !user.empty()) {
    target += user + "@";
  }
  const auto host = setting(settings, "host");
  target += host.empty() ? setting(settings, "hostaddr") : host;
  if (const auto port = setting(settings, "port"); !port.empty()) {
    target += ":" + port;
  }
  if (const auto dbname = setting(settings, "dbname"); !dbname.empty()) {
    target += "/" + dbname;
  }
  return target;
}

std::vector<std::string> hosts_to_resolve(const conninfo_settings& settings) {
  std::vector<std::string> names;
  if (!setting(settings, "hostaddr").empty()) {
    return names;
  }
  for (const auto& host : split_list(setting(settings, "host"))) {
    if (needs_resolution(host) && std::find(names.begin(), names.end(), host) == names.end()) {
      names.push_back(host);
    }
  }
  return names;
}

conninfo_settings with_resolved_addresses(
    const conninfo_settings& settings,
    const std::map<std::string, std::vector<std::string>>& addresses) {
  if (addresses.empty() || !setting(settings, "hostaddr").empty()) {
    return settings;
  }
  const auto hosts = split_list(setting(settings, "host"));
  const auto ports = split_list(setting(settings, "port"));
  // A single port (or none) applies to every host; a list pairs with the hosts one to one.
  const bool port_per_host = ports.size() > 1 && ports.size() == hosts.size();
  std::vector<std::string> out_hosts;
  std::vector<std::string> out_addresses;
  std::vector<std::string> out_ports;
  for (std::size_t index = 0; index < hosts.size(); ++index) {
    const auto& host = hosts[index];
    const auto found = addresses.find(host);
    const bool resolved = needs_resolution(host) && found != addresses.end();
    const std::vector<std::string> pinned =
        resolved ? found->second : std::vector<std::string>{std::string()};
    for (const auto& address : pinned) {
      out_hosts.push_back(host);
      out_addresses.push_back(address);
      if (port_per_host) {
        out_ports.push_back(ports[index]);
      }
    }
  }
  conninfo_settings rewritten = settings;
  replace_setting(rewritten, "host", join_list(out_hosts));
  replace_setting(rewritten, "hostaddr", join_list(out_addresses));
  if (port_per_host) {
    replace_setting(rewritten, "port", join_list(out_ports));
  }
  return rewritten;
}

}  // namespace gpt_adapter::postgres
