#pragma once

#include <atomic>
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
#include "common/memory_bank/mem0_api.hpp"
#include "common/metrics/registry.hpp"

// The Memory Bank client the worker calls: one operation in the configured mem0 dialect over the
// outbound HTTP client, with the request id propagated, the Memory Bank's own request id
// captured, retries for reads only, owner checks before anything addressed by id, and a circuit
// breaker shared per Memory Bank host within the process.
namespace gpt_adapter::memory_bank {

// How the API key is sent: `Authorization: Token <key>` (the mem0 Platform), `X-API-Key: <key>`
// (the mem0 open-source server, which reads a Bearer credential as a dashboard login JWT), or
// `Authorization: Bearer <key>` (a gateway in front of mem0 that wants one).
enum class auth_scheme { token, x_api_key, bearer };

struct client_settings {
  std::string url;                              // MEMORY_BANK_API_URL, base path allowed
  dialect shape = dialect::mem0_oss;            // MEMORY_BANK_DIALECT
  std::string api_key;                          // MEMORY_BANK_API_KEY; empty: none sent
  auth_scheme scheme = auth_scheme::x_api_key;  // MEMORY_BANK_AUTH_SCHEME; by dialect
  http::outbound_settings transport;  // MEMORY_BANK_*_TIMEOUT_MS, _MAX_CONNECTIONS, _CA_FILE
  // An add runs mem0's LLM fact extraction, which can take far longer than a read.
  std::chrono::milliseconds add_timeout{90000};  // MEMORY_BANK_ADD_TIMEOUT_MS
  // Polling an add the Platform is still processing: the first wait, doubled up to the max.
  std::chrono::milliseconds event_poll_delay{500};       // MEMORY_BANK_EVENT_POLL_MS
  std::chrono::milliseconds event_poll_max_delay{8000};  // MEMORY_BANK_EVENT_POLL_MAX_MS
  int read_retries = 2;                                  // MEMORY_BANK_READ_RETRIES
  std::chrono::milliseconds read_retry_delay{
      100};                  // MEMORY_BANK_READ_RETRY_DELAY_MS, doubled each time
  breaker_settings breaker;  // MEMORY_BANK_BREAKER_*
};

// The URL the dev Memory Bank listens on, used when GPT_ADAPTER_DEV_MODE is on and no URL is set.
inline constexpr std::string_view dev_memory_bank_url = "http://127.0.0.1:8765";

// Reads the MEMORY_BANK_* variables; a bad value is a config::config_error naming the variable.
// The URL is required unless `dev_mode`.
client_settings read_client_settings(const config::env_reader& env, bool dev_mode);

struct call_result {
  enum class kind {
    ok,
    not_found,
    rejected,      // a 4xx other than 401/403/404/408/429, a permanent server failure, an input
                   // that cannot be sent, or an answer that cannot be read: repeating the same
                   // call cannot succeed
    transient,     // 5xx, 408, 429, transport failure or timeout: worth a later retry
    circuit_open,  // not sent: the breaker is open (retry_after says for how long)
    unauthorized,  // 401 or 403: the Memory Bank refused the adapter's credentials
    in_progress,   // the Memory Bank accepted an add or delete and is working on it (event_id)
  };
  kind outcome = kind::transient;
  int http_status = 0;  // 0 when there was no HTTP answer
  // ok: a memory {memory_id, content, relevance_score?, metadata, created_at?, updated_at?} for
  // get and update; an array of them for search; {memories, has_more, capped} for list; an array
  // of changes {memory_id, content, event, previous_content?} for create; an array of
  // {event, old_content, new_content, created_at, updated_at} for history; {deleted, memory_id}
  // for delete; {forgotten, deleted?} for forget.
  boost::json::value result;
  std::string memory_bank_request_id;
  std::string error;  // never contains secrets
  // 429/503 Retry-After, or how long until the breaker lets a trial through.
  std::optional<std::chrono::milliseconds> retry_after;
  std::optional<std::string> event_id;  // in_progress
  int attempts = 0;                     // HTTP calls made
};

std::string_view to_string(call_result::kind outcome);

class client : public std::enable_shared_from_this<client> {
 public:
  // Registers the memory_bank_* metrics in `metrics` (one client per registry). Throws
  // config::config_error for an unusable URL or CA file.
  static std::shared_ptr<client> create(boost::asio::any_io_executor executor,
                                        client_settings settings, metrics::registry& metrics);

  // Runs one attempt of an operation for `who`. Everything addressed by id is read first to
  // check it belongs to `who` (mem0 addresses memories by id alone), so another user's memory is
  // answered as not found and never touched. `who`, `input` and `context` are referenced until
  // the call completes.
  boost::asio::awaitable<call_result> execute(const owner& who, const operation_input& input,
                                              const attempt_context& context);

  circuit_state breaker_state() const;
  std::chrono::milliseconds time_until_trial() const;
  // Whether the last answer from the Memory Bank refused the adapter's credentials.
  bool credentials_refused() const;
  // For /health/ready: not ready while the breaker is open or the credentials are refused.
  http::dependency_check readiness_check();

  // Closes idle connections; later calls fail as transient.
  void stop();

  const client_settings& settings() const { return settings_; }

  ~client();

 private:
  struct metric_handles;
  struct call_options;

  client(client_settings settings, std::shared_ptr<http::outbound_client> transport,
         std::shared_ptr<circuit_breaker> breaker, metrics::registry& metrics);

  boost::asio::awaitable<call_result> call(std::string_view step, const http_request& request,
                                           std::string_view request_id,
                                           const call_options& options);
  boost::asio::awaitable<call_result> call_once(std::string_view step, const http_request& request,
                                                std::string_view request_id,
                                                const call_options& options);
  void note_credentials(int status);

  boost::asio::awaitable<call_result> search(const owner& who, const search_input& input,
                                             const attempt_context& context);
  boost::asio::awaitable<call_result> create(const owner& who, const create_input& input,
                                             const attempt_context& context);
  boost::asio::awaitable<call_result> poll_event(const attempt_context& context);
  boost::asio::awaitable<call_result> find_created(const owner& who, const create_input& input,
                                                   const attempt_context& context);
  // A memory read to check its owner: `found` is set when it exists and belongs to `who`.
  struct owned_read {
    call_result call;
    std::optional<memory> found;
  };
  boost::asio::awaitable<owned_read> read_owned(const owner& who, std::string_view memory_id,
                                                const attempt_context& context);
  boost::asio::awaitable<call_result> get(const owner& who, const get_input& input,
                                          const attempt_context& context);
  boost::asio::awaitable<call_result> list(const owner& who, const list_input& input,
                                           const attempt_context& context);
  boost::asio::awaitable<call_result> update(const owner& who, const update_input& input,
                                             const attempt_context& context);
  boost::asio::awaitable<call_result> remove(const owner& who, const delete_input& input,
                                             const attempt_context& context);
  boost::asio::awaitable<call_result> history(const owner& who, const history_input& input,
                                              const attempt_context& context);
  boost::asio::awaitable<call_result> forget(const owner& who, const attempt_context& context);
  boost::asio::awaitable<call_result> delete_each(const owner& who, const attempt_context& context);

  client_settings settings_;
  std::unique_ptr<mem0_api> api_;
  std::shared_ptr<http::outbound_client> transport_;
  std::shared_ptr<circuit_breaker> breaker_;
  std::unique_ptr<metric_handles> metrics_;
  std::atomic<bool> credentials_refused_{false};
};

}  // namespace gpt_adapter::memory_bank
