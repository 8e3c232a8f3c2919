#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/tls_test_server.hpp"

namespace gpt_adapter::testing {

struct redis_server_options {
  // Without username: `requirepass` for the default user; empty: no authentication.
  std::string password;
  // Set: url() signs in as this ACL user with `password` (the arguments or aclfile define it).
  std::string username;
  // Set: the server speaks TLS, with this certificate, on the port url() names.
  std::optional<test_certificates> tls;
  bool require_client_certificate = false;
  // More redis-server options, e.g. {"--user", "worker", "on", ">pw", "+ping"} or --replicaof.
  std::vector<std::string> arguments;
};

// A private redis-server on a free loopback port in a temporary folder, configured as the
// queue needs it in production: AOF on, `noeviction`.
class redis_server {
 public:
  redis_server();
  explicit redis_server(redis_server_options options);
  ~redis_server();

  // Plain TCP on loopback: with TLS too, for the test's own view (redis_commands), while url()
  // names the TLS port.
  unsigned short port() const { return port_; }
  // With the user and password, when set; rediss:// with TLS.
  std::string url() const;
  // What a service needs to reach it: REDIS_URL, and REDIS_TLS_CA_FILE with TLS.
  std::map<std::string, std::string> environment() const;
  void stop();
  // Starts again on the same port with the same data folder (AOF replayed).
  void start();
  // A crash: SIGKILL, no final save.
  void kill();

 private:
  redis_server_options options_;
  temp_dir dir_;
  unsigned short port_;
  unsigned short tls_port_ = 0;
  std::unique_ptr<child_process> process_;
};

// A private PostgreSQL cluster copied from the `postgres_template` fixture, started on a free
// loopback port. It has a database `gpt_adapter` owned by the superuser `postgres`, a login
// role `gpt_adapter_app` (password `app-password`) that is neither superuser nor BYPASSRLS, and
// a login role `gpt_adapter_bypass` (password `bypass-password`) that is not a superuser but has
// BYPASSRLS: the mistake a managed database or a quick start makes, for tests proving that row
// level security is not the only wall between applications.
class postgres_server {
 public:
  postgres_server();
  ~postgres_server();

  // Plain TCP on loopback: with TLS too, for the test's own view (redis_commands), while url()
  // names the TLS port.
  unsigned short port() const { return port_; }
  // URL of the superuser that owns the schema (what migrations run as).
  std::string owner_url() const;
  // URL of the unprivileged runtime role (what the API and the worker use).
  std::string runtime_url() const;
  // URL of the BYPASSRLS role.
  std::string bypass_rls_url() const;
  void stop();
  void start();

 private:
  void wait_ready();

  temp_dir dir_;
  std::string data_dir_;
  unsigned short port_;
  unsigned short tls_port_ = 0;
  std::unique_ptr<child_process> process_;
};

// Runs a SQL statement as the owner with psql-like simplicity; throws on failure.
void run_sql(const std::string& url, const std::string& sql);

}  // namespace gpt_adapter::testing
