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

#include <boost/json/object.hpp>

#include "common/http/router.hpp"
#include "tools/memory-bank-dev/memory_store.hpp"

// The dev Memory Bank: the routes of a self-hosted mem0 server (the mem0-oss dialect) over a
// memory_store, plus what tests and drills need: fault injection and per-operation counters
// under /_dev/. Errors come back as mem0 sends them ({"detail": ...}), since this server stands
// in for mem0, not for one of our own services.
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
  // When set, calls must carry it as `X-API-Key: <key>` or `Authorization: Bearer|Token <key>`.
  std::optional<std::string> api_key;
};

// Reads the flags in `usage`; throws std::invalid_argument naming a flag it cannot use.
dev_server_options parse_command_line(const std::vector<std::string>& args);

inline constexpr std::string_view usage =
    "usage: memory-bank-dev [--host ADDRESS] [--port N (0: any free port)] [--threads N]\n"
    "                       [--data-file PATH] [--latency-ms N] [--error-rate 0..1]\n"
    "                       [--down] [--fail-next N] [--fail-status CODE] [--api-key KEY]\n";

class dev_memory_bank : public std::enable_shared_from_this<dev_memory_bank> {
 public:
  dev_memory_bank(std::shared_ptr<memory_store> store, fault_settings faults,
                  std::optional<std::string> api_key);

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

  // Counts the call, applies the faults and the API key, then runs `inner`.
  http::handler guarded(std::string operation, http::handler inner);
  std::optional<http::response> injected_failure(const http::request_context& context);
  std::optional<http::response> refused_credentials(const http::request_context& context) const;

  boost::asio::awaitable<http::response> add(http::request_context& context);
  boost::asio::awaitable<http::response> search(http::request_context& context);
  boost::asio::awaitable<http::response> list(http::request_context& context);
  boost::asio::awaitable<http::response> get(http::request_context& context);
  boost::asio::awaitable<http::response> update(http::request_context& context);
  boost::asio::awaitable<http::response> remove(http::request_context& context);
  boost::asio::awaitable<http::response> remove_all(http::request_context& context);
  boost::asio::awaitable<http::response> history(http::request_context& context);
  boost::asio::awaitable<http::response> reset(http::request_context& context);

  boost::asio::awaitable<http::response> show_faults(http::request_context& context);
  boost::asio::awaitable<http::response> change_faults(http::request_context& context);
  boost::asio::awaitable<http::response> show_stats(http::request_context& context);
  boost::asio::awaitable<http::response> clear_stats(http::request_context& context);

  std::shared_ptr<memory_store> store_;
  std::optional<std::string> api_key_;

  mutable std::mutex mutex_;  // guards what follows
  fault_settings faults_;
  std::map<std::string, std::uint64_t> calls_;
  std::uint64_t injected_failures_ = 0;
  std::deque<call_record> recent_;
};

// Serves until SIGTERM or SIGINT; logs a "memory-bank-dev listening" line with the port.
int run_dev_server(const dev_server_options& options);

}  // namespace gpt_adapter::memory_bank_dev
