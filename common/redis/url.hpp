#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/tls/client_context.hpp"

namespace gpt_adapter::redis {

struct server_address {
  std::string host;
  unsigned short port = 6379;
};

// TLS to Redis (and to its sentinels): the peer's certificate is always verified.
struct tls_options {
  tls::client_files files;
  // The name the server's certificate must carry; empty: the host connected to.
  std::string server_name;
};

// A primary found through Redis Sentinel: the sentinels are asked for `master_name`'s address,
// and the server found must say ROLE master.
struct sentinel_options {
  std::vector<server_address> sentinels;
  std::string master_name;
  std::string username;  // the sentinels' own credentials, when they require any
  std::string password;
};

// Where and how to connect, and the client's time limits.
struct connection_options {
  std::string host = "127.0.0.1";
  unsigned short port = 6379;
  std::string username;  // empty: `AUTH password` (the default user)
  std::string password;  // empty: no AUTH
  int database = 0;      // non-zero: SELECT after connecting
  std::optional<tls_options> tls;
  std::optional<sentinel_options> sentinel;  // set: host and port are not used
  // client::wait_for_replicas(): how many replicas must acknowledge, and for how long to wait.
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{1000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds reconnect_min_delay{100};
  std::chrono::milliseconds reconnect_max_delay{5000};
};

// Parses
//   redis://[[user]:password@]host[:port][/db]             plain TCP
//   rediss://...                                            the same over TLS
//   redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/db]#master
//   rediss-sentinel://...                                   the same over TLS
// (IPv6 hosts in brackets; user and password percent-decoded; sentinels on 26379 unless said.)
// The credentials are the data servers'. Timeouts keep their defaults. Throws
// std::invalid_argument naming what is wrong, never echoing the password.
connection_options parse_url(std::string_view url);

// The server a log line names: "host:port", or "sentinel master <name>".
std::string describe(const connection_options& options);

}  // namespace gpt_adapter::redis
