#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/http/router.hpp"
#include "common/memory_bank/dialect.hpp"
#include "tools/memory-bank-dev/dev_http.hpp"
#include "tools/memory-bank-dev/memory_store.hpp"

// The dev Memory Bank: a stand-in for mem0 that speaks one of its two REST contracts exactly as
// the real service does (the open-source server by default, or the Platform), over a
// memory_store, plus what tests and drills need: fault injection and per-operation counters
// under /_dev/.
namespace gpt_adapter::memory_bank_dev {

struct fault_settings {
  std::chrono::milliseconds latency{0};  // added before every Memory Bank answer
  double error_rate = 0.0;               // share of calls answered 500, from 0 to 1
  bool down = false;                     // every call answered 503
  int fail_next = 0;                     // the next N calls answered fail_status
  int fail_status = 500;
};

struct dev_server_options {
  std::string host = "127.0.0.1";
  unsigned short port = 8765;
  std::size_t threads = 1;  // I/O threads (more for throughput benchmarks)
  std::optional<std::filesystem::path> data_file;
  fault_settings faults;
  memory_bank::dialect shape = memory_bank::dialect::mem0_oss;
  // mem0-oss: ADMIN_API_KEY, sent as X-API-Key; without any key, auth is off (AUTH_DISABLED).
  // mem0-platform: the project key, sent as `Authorization: Token <key>`.
  std::optional<std::string> api_key;
  // mem0-oss: a per-user key without the admin role (it may not delete in bulk).
  std::optional<std::string> user_api_key;
  // mem0-platform: how long an add or a delete-all takes in the background.
  std::chrono::milliseconds processing_delay{300};
};

// Reads the flags in `usage`; throws std::invalid_argument naming a flag it cannot use.
dev_server_options parse_command_line(const std::vector<std::string>& args);

inline constexpr std::string_view usage =
    "usage: memory-bank-dev [--dialect mem0-oss|mem0-platform] [--host ADDRESS]\n"
    "                       [--port N (0: any free port)] [--threads N] [--data-file PATH]\n"
    "                       [--api-key KEY] [--user-api-key KEY] [--processing-delay-ms N]\n"
    "                       [--latency-ms N] [--error-rate 0..1] [--down] [--fail-next N]\n"
    "                       [--fail-status CODE]\n";

class dev_memory_bank : public std::enable_shared_from_this<dev_memory_bank> {
 public:
  dev_memory_bank(std::shared_ptr<memory_store> store, const dev_server_options& options);

  void add_routes(http::router& routes);

  fault_settings faults() const;

 private:
  struct call_record {
    std::string operation;
    std::string method;
    std::string target;
    std::string request_id;
    std::string authorization;  // the scheme only (Bearer, Token, X-API-Key) or empty
  };

  // Counts the call, applies the faults and the dialect's credentials check, then runs `inner`.
  http::handler guarded(std::string operation, dialect_handler inner);
  std::optional<http::response> injected_failure(const http::request_context& context);
  std::variant<caller, http::response> authenticate(const http::request_context& context) const;

  boost::asio::awaitable<http::response> show_faults(http::request_context& context);
  boost::asio::awaitable<http::response> change_faults(http::request_context& context);
  boost::asio::awaitable<http::response> show_stats(http::request_context& context);
  boost::asio::awaitable<http::response> clear_stats(http::request_context& context);

  std::shared_ptr<memory_store> store_;
  dev_server_options options_;

  mutable std::mutex mutex_;  // guards what follows
  fault_settings faults_;
  std::map<std::string, std::uint64_t> calls_;
  std::uint64_t injected_failures_ = 0;
  std::deque<call_record> recent_;
};

// Serves until SIGTERM or SIGINT; logs a "memory-bank-dev listening" line with the port.
int run_dev_server(const dev_server_options& options);

}  // namespace gpt_adapter::memory_bank_dev
