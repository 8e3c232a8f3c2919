#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "tests/support/process.hpp"

namespace gpt_adapter::testing {

inline constexpr auto memory_bank_dev_binary = "tools/memory-bank-dev/memory-bank-dev";

// The dev Memory Bank (tools/memory-bank-dev) as a child process on a port the kernel picks,
// speaking the mem0-oss dialect at url(). `extra_args` are its flags (--latency-ms, --api-key,
// --data-file, ...). Faults can be changed while it runs; stats() counts calls per operation
// (add, search, list, get, update, delete, history, ...).
class memory_bank_dev {
 public:
  explicit memory_bank_dev(std::vector<std::string> extra_args = {});
  ~memory_bank_dev();
  memory_bank_dev(const memory_bank_dev&) = delete;
  memory_bank_dev& operator=(const memory_bank_dev&) = delete;

  unsigned short port() const { return port_; }
  // http://127.0.0.1:<port>, what MEMORY_BANK_API_URL should be.
  std::string url() const;

  // POST /_dev/faults with any of latency_ms, error_rate, down, fail_next, fail_status;
  // returns the settings now in force. Throws unless the server accepted them.
  boost::json::object set_faults(const boost::json::object& faults);
  // Back to no faults at all.
  void clear_faults();
  // GET /_dev/stats: {requests: {operation: count}, total, injected_failures, memories,
  // recent: [{operation, method, target, request_id, authorization}]}.
  boost::json::object stats() const;
  // Calls of one operation so far (0 when none).
  std::uint64_t calls(const std::string& operation) const;
  void clear_stats();

  // SIGTERM and wait; start() brings it back on the same port (with the same data file).
  void stop();
  void start();
  // SIGKILL: a crash.
  void kill();
  bool running();
  // Output of the current run (JSON log lines).
  std::string output() const;

 private:
  void launch(unsigned short port);

  temp_dir dir_;
  std::vector<std::string> extra_args_;
  unsigned short port_ = 0;
  int runs_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace gpt_adapter::testing
