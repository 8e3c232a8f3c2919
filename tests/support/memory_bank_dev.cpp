#include "tests/support/memory_bank_dev.hpp"

#include <csignal>
#include <sstream>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tests/support/http_client.hpp"

namespace gpt_adapter::testing {
namespace {

// The port from the "memory-bank-dev listening" log line, 0 until it appears.
unsigned short listening_port(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    boost::system::error_code error;
    const auto value = boost::json::parse(line, error);
    if (error || !value.is_object()) {
      continue;
    }
    const auto& object = value.as_object();
    const auto* message = object.if_contains("message");
    const auto* port = object.if_contains("port");
    if (message != nullptr && message->is_string() &&
        message->as_string() == "memory-bank-dev listening" && port != nullptr &&
        port->is_int64()) {
      return static_cast<unsigned short>(port->as_int64());
    }
  }
  return 0;
}

}  // namespace

memory_bank_dev::memory_bank_dev(std::vector<std::string> extra_args)
    : dir_("memory-bank-dev"), extra_args_(std::move(extra_args)) {
  launch(0);
}

memory_bank_dev::~memory_bank_dev() = default;

std::string memory_bank_dev::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void memory_bank_dev::launch(unsigned short port) {
  std::vector<std::string> argv{built_binary(memory_bank_dev_binary).string(), "--host",
                                "127.0.0.1", "--port", std::to_string(port)};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  ++runs_;
  process_ = std::make_unique<child_process>(
      process_options{.argv = std::move(argv),
                      .output_file = dir_.path() / ("output-" + std::to_string(runs_) + ".log")});
  unsigned short bound = 0;
  if (!wait_until(
          [&] {
            bound = listening_port(process_->output());
            return bound != 0 || !process_->running();
          },
          20s) ||
      bound == 0) {
    throw std::runtime_error("memory-bank-dev did not start: " + process_->output());
  }
  port_ = bound;
}

boost::json::object memory_bank_dev::set_faults(const boost::json::object& faults) {
  const auto reply = http_request(port_, {.method = boost::beast::http::verb::post,
                                          .target = "/_dev/faults",
                                          .body = boost::json::serialize(faults),
                                          .headers = {{"Content-Type", "application/json"}}});
  if (reply.status != 200) {
    throw std::runtime_error("memory-bank-dev refused the faults: " + reply.body);
  }
  return reply.json().as_object();
}

void memory_bank_dev::clear_faults() {
  set_faults({{"latency_ms", 0}, {"error_rate", 0}, {"down", false}, {"fail_next", 0}});
}

boost::json::object memory_bank_dev::stats() const {
  const auto reply = http_get(port_, "/_dev/stats");
  if (reply.status != 200) {
    throw std::runtime_error("memory-bank-dev stats failed: " + reply.body);
  }
  return reply.json().as_object();
}

std::uint64_t memory_bank_dev::calls(const std::string& operation) const {
  const auto all = stats();
  const auto* count = all.at("requests").as_object().if_contains(operation);
  return count != nullptr ? count->to_number<std::uint64_t>() : 0;
}

void memory_bank_dev::clear_stats() {
  const auto reply =
      http_request(port_, {.method = boost::beast::http::verb::delete_, .target = "/_dev/stats"});
  if (reply.status != 200) {
    throw std::runtime_error("memory-bank-dev did not clear its stats: " + reply.body);
  }
}

void memory_bank_dev::stop() {
  process_->stop();
}

void memory_bank_dev::start() {
  launch(port_);
}

void memory_bank_dev::kill() {
  process_->signal(SIGKILL);
  process_->wait_exit(10s);
}

bool memory_bank_dev::running() {
  return process_->running();
}

std::string memory_bank_dev::output() const {
  return process_->output();
}

}  // namespace gpt_adapter::testing
