#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "common/config/env_reader.hpp"
#include "common/http/health_routes.hpp"
#include "common/http/outbound_client.hpp"
#include "common/memory_bank/circuit_breaker.hpp"
#include "common/memory_bank/dialect.hpp"
#include "common/metrics/registry.hpp"

// The Memory Bank client the worker calls: one operation in the configured dialect over the
// outbound HTTP client, with the request id propagated, the Memory Bank's own request id
// captured, retries for idempotent reads only, and a circuit breaker shared per Memory Bank host
// within the process.
namespace gpt_adapter::memory_bank {

// How the API key is sent: `Authorization: Token <key>` (hosted mem0 platform),
// `Authorization: Bearer <key>`, or `X-API-Key: <key>` (newer self-hosted mem0).
enum class auth_scheme { token, bearer, x_api_key };

struct client_settings {
  std::string url = "http://127.0.0.1:8765";  // MEMORY_BANK_URL (base path allowed)
  dialect shape = dialect::mem0_oss;          // MEMORY_BANK_DIALECT
  std::string api_key;                        // MEMORY_BANK_API_KEY; empty: none sent
  auth_scheme scheme = auth_scheme::bearer;   // MEMORY_BANK_AUTH_SCHEME
  http::outbound_settings transport;  // MEMORY_BANK_*_TIMEOUT_MS, _MAX_CONNECTIONS, _CA_FILE
  int read_retries = 2;               // MEMORY_BANK_READ_RETRIES
  std::chrono::milliseconds read_retry_delay{
      100};                  // MEMORY_BANK_READ_RETRY_DELAY_MS, doubled each time
  breaker_settings breaker;  // MEMORY_BANK_BREAKER_*
};

// Reads the MEMORY_BANK_* variables; a bad value is a config::config_error naming the variable.
client_settings read_client_settings(const config::env_reader& env);

struct call_result {
  enum class kind {
    ok,
    not_found,
    rejected,      // a 4xx other than 404/408/429, an input that cannot be sent, or an answer
                   // that cannot be read: repeating the same call cannot succeed
    transient,     // 5xx, 408, 429, transport failure or timeout: worth a later retry
    circuit_open,  // not sent: the breaker is open (retry_after says for how long)
  };
  kind outcome = kind::transient;
  int http_status = 0;  // 0 when there was no HTTP answer
  // ok: a memory {memory_id, content, relevance_score?, metadata, created_at?} for get and
  // update; an array of them for search, list and create; {"deleted": true} for delete.
  boost::json::value result;
  std::string memory_bank_request_id;
  std::string error;  // never contains secrets
  // 429/503 Retry-After, or how long until the breaker lets a trial through.
  std::optional<std::chrono::milliseconds> retry_after;
  int attempts = 0;  // HTTP calls made (reads may be retried, and update/delete check the owner)
};

std::string_view to_string(call_result::kind outcome);

// The name of an operation in metrics and logs: search, create, get, list, update, delete.
std::string_view operation_name(const operation_input& input);

class client : public std::enable_shared_from_this<client> {
 public:
  // Registers the memory_bank_* metrics in `metrics` (one client per registry). Throws
  // config::config_error for an unusable URL or CA file.
  static std::shared_ptr<client> create(boost::asio::any_io_executor executor,
                                        client_settings settings, metrics::registry& metrics);

  // Runs one operation for `who`. `request_id` is sent as X-Request-ID. Update and delete in the
  // mem0 dialects first read the memory to check it belongs to `who` (mem0 addresses memories
  // by id alone), so another user's memory is answered as not found and never touched.
  // `who` and `input` are referenced until the call completes.
  boost::asio::awaitable<call_result> execute(const owner& who, const operation_input& input,
                                              std::string_view request_id);

  circuit_state breaker_state() const;
  std::chrono::milliseconds time_until_trial() const;
  // For /health/ready: not ready while the breaker is open.
  http::dependency_check readiness_check();

  // Closes idle connections; later calls fail as transient.
  void stop();

  const client_settings& settings() const { return settings_; }

  ~client();

 private:
  struct metric_handles;

  client(client_settings settings, std::shared_ptr<http::outbound_client> transport,
         std::shared_ptr<circuit_breaker> breaker, metrics::registry& metrics);

  boost::asio::awaitable<call_result> call(std::string_view operation, const http_request& request,
                                           std::string_view request_id, bool idempotent);
  boost::asio::awaitable<call_result> call_once(std::string_view operation,
                                                const http_request& request,
                                                std::string_view request_id);
  boost::asio::awaitable<call_result> read_owned(const owner& who, const std::string& memory_id,
                                                 std::string_view request_id);

  client_settings settings_;
  std::shared_ptr<http::outbound_client> transport_;
  std::shared_ptr<circuit_breaker> breaker_;
  std::unique_ptr<metric_handles> metrics_;
};

}  // namespace gpt_adapter::memory_bank
