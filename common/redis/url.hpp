#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace gpt_adapter::redis {

// Where and how to connect, and the client's time limits.
struct connection_options {
  std::string host = "127.0.0.1";
  unsigned short port = 6379;
  std::string username;  // empty: `AUTH password` (the default user)
  std::string password;  // empty: no AUTH
  int database = 0;      // non-zero: SELECT after connecting
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds reconnect_min_delay{100};
  std::chrono::milliseconds reconnect_max_delay{5000};
};

// Parses `redis://[[user]:password@]host[:port][/db]` (an IPv6 host in brackets; user and
// password percent-decoded). Timeouts keep their defaults. Throws std::invalid_argument naming
// what is wrong, never echoing the password.
connection_options parse_url(std::string_view url);

}  // namespace gpt_adapter::redis
