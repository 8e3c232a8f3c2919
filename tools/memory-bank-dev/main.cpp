#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/logging/logger.hpp"
#include "common/service/lifecycle.hpp"
#include "tools/memory-bank-dev/dev_server.hpp"

namespace bank = gpt_adapter::memory_bank_dev;

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args.front() == "--help" || args.front() == "-h")) {
    std::cout << bank::usage;
    return 0;
  }
  bank::dev_server_options options;
  try {
    options = bank::parse_command_line(args);
  } catch (const std::invalid_argument& invalid) {
    std::cerr << "memory-bank-dev: " << invalid.what() << '\n' << bank::usage;
    return 2;
  }
  gpt_adapter::logging::init("memory-bank-dev", spdlog::level::info,
                             gpt_adapter::logging::output_format::json);
  return gpt_adapter::service::guarded_main("memory-bank-dev",
                                            [&] { return bank::run_dev_server(options); });
}
