#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "tests/support/admin_cli.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/memory_bank_dev.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/services.hpp"

// The stack a Custom GPT talks to, started for one test: PostgreSQL migrated with the runtime
// role granted as deployments do it, Redis, and on request the dev Memory Bank, the worker and
// the API, plus the operator's tools (gpt-adapter-admin, a SQL query) to set it up and look
// inside.
namespace gpt_adapter::testing {

// What an application registers to accept the callback of any GPT.
inline constexpr auto chatgpt_redirect_pattern = "https://chatgpt.com/aip/*/oauth/callback";

struct api_stack_options {
  // Settings of the API and the worker, over service_environment() and the stack's own.
  std::map<std::string, std::string> environment;
  // The dev Memory Bank, with MEMORY_BANK_API_URL pointing at it, speaking this dialect and
  // requiring this key (sent as the dialect wants it).
  bool memory_bank = false;
  std::string memory_bank_dialect = "mem0-oss";
  std::string memory_bank_api_key = "dev-memory-bank-key";
  // The worker (started before the API), polling often enough for tests.
  bool worker = false;
  // The API and the worker connect as the BYPASSRLS role (postgres_server::bypass_rls_url), with
  // DATABASE_ALLOW_RLS_BYPASS=true so that they start: row-level security is then not in force,
  // and only the services' own checks keep applications apart.
  bool rls_bypassing_role = false;
  // The API; without it, a test starts the API itself (start_api, or its own service_process).
  bool api = true;
  // Redis as the stack runs it: TLS, ACL users.
  redis_server_options redis;
};

// An OAuth client as the operator registered it.
struct registered_application {
  std::string id;
  std::string client_id;
  std::string client_secret;
  std::int64_t token_version = 0;
};

// PBKDF2 with the fewest iterations the server accepts: the checks are the same, the suite just
// does not spend seconds on each secret it verifies.
std::string fast_secret_hash(const std::string& secret);

// One sample of the Prometheus text a service serves on /metrics, 0 when absent.
double scraped_metric(unsigned short port, const std::string& name,
                      const std::map<std::string, std::string>& labels = {});

class api_stack {
 public:
  explicit api_stack(api_stack_options options = {});
  ~api_stack();
  api_stack(const api_stack&) = delete;
  api_stack& operator=(const api_stack&) = delete;

  postgres_server database;
  redis_server redis;
  std::unique_ptr<memory_bank_dev> bank;
  std::unique_ptr<service_process> worker;
  std::unique_ptr<service_process> api;

  // The environment of the API and the worker: service_environment(), the Memory Bank and
  // worker settings when the stack has them, the options' environment, then `overrides`.
  std::map<std::string, std::string> environment(
      const std::map<std::string, std::string>& overrides = {}) const;
  // Starts the API (stopping a running one first) with environment(overrides); waits until it
  // is healthy.
  void start_api(const std::map<std::string, std::string>& overrides = {});
  void start_worker(const std::map<std::string, std::string>& overrides = {});
  // The API's port.
  unsigned short port() const { return api->port(); }

  // gpt-adapter-admin as the operator runs it (the owner's DATABASE_URL, REDIS_URL); its exit
  // status and output go into the test's messages.
  admin_cli_result admin(const std::vector<std::string>& args,
                         std::optional<std::string> stdin_text = std::nullopt) const;
  // The same with --json; requires success and returns the parsed output.
  boost::json::value admin_json(std::vector<std::string> args,
                                std::optional<std::string> stdin_text = std::nullopt) const;

  // `gpt-adapter-admin app create --name <name>` with `options` (--scopes, --rate-limit,
  // --redirect-uri...).
  registered_application create_application(const std::string& name,
                                            const std::vector<std::string>& options = {}) const;
  // An application written to the database directly, its secret hashed with fast_secret_hash.
  // `scopes` is a comma-separated list.
  registered_application insert_application(
      const std::string& name, const std::string& scopes,
      const std::string& redirect_uri = chatgpt_redirect_pattern,
      bool refresh_for_client_credentials = false) const;
  // `gpt-adapter-admin user create --password-stdin`; returns the end user's id.
  std::string create_end_user(const std::string& username, const std::string& password) const;
  // An end user written to the database directly, the password hashed with fast_secret_hash.
  std::string insert_end_user(const std::string& username, const std::string& password) const;

  // The first cell of a query run as the owner ($1... bound to `params`); requires one row.
  std::string value(const std::string& sql, const std::vector<std::string>& params = {}) const;

  // The API's metric, as scraped_metric.
  double metric(const std::string& name,
                const std::map<std::string, std::string>& labels = {}) const;

  // The entries of the audit stream in Redis, as field maps.
  std::vector<std::map<std::string, std::string>> audit_stream() const;
  // The audit event of a request: still in the stream, or already delivered to PostgreSQL by
  // the worker (which then deletes it from the stream).
  std::optional<std::map<std::string, std::string>> audit_event(
      const std::string& request_id) const;
  // Waits for it; requires it.
  std::map<std::string, std::string> wait_for_audit_event(const std::string& request_id) const;

  // A call to the API with a bearer credential; a body is sent as JSON unless `headers` name
  // another Content-Type.
  http_reply call(boost::beast::http::verb method, const std::string& target,
                  const std::string& credential, const std::string& body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) const;
  http_reply post(const std::string& target, const std::string& credential, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) const;
  http_reply get(const std::string& target, const std::string& credential) const;
  // Polls GET /api/v1/jobs/{request_id} until the job has a final status; its last answer.
  boost::json::object finished_job(const std::string& request_id,
                                   const std::string& credential) const;

 private:
  api_stack_options options_;
};

}  // namespace gpt_adapter::testing
