#include "common/service/lifecycle.hpp"

#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "common/config/env_reader.hpp"
#include "common/logging/logger.hpp"

namespace gpt_adapter::service {

int guarded_main(std::string_view program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const config::config_error& invalid) {
    std::cerr << program << ": configuration error: " << invalid.what() << std::endl;
    return exit_config_error;
  } catch (const std::exception& failure) {
    std::cerr << program << ": cannot start: " << failure.what() << std::endl;
    return 1;
  }
}

void run_threads(boost::asio::io_context& context, std::size_t threads) {
  std::vector<std::jthread> pool;
  for (std::size_t i = 1; i < threads; ++i) {
    pool.emplace_back([&context] { context.run(); });
  }
  context.run();
}

void run_each_on_a_thread(const std::vector<boost::asio::io_context*>& contexts) {
  std::vector<std::jthread> pool;
  for (std::size_t i = 1; i < contexts.size(); ++i) {
    pool.emplace_back([context = contexts[i]] { context->run(); });
  }
  contexts.front()->run();
}

stop_signals::stop_signals(boost::asio::io_context& context, std::function<void(int)> on_signal)
    : signals_(context, SIGTERM, SIGINT), on_signal_(std::move(on_signal)) {
  wait();
}

void stop_signals::cancel() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
}

void stop_signals::wait() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
    if (error) {
      return;
    }
    if (fired_) {
      logging::warn("already stopping; signal ignored", {{"signal", signal_number}});
    } else {
      fired_ = true;
      on_signal_(signal_number);
    }
    wait();
  });
}

}  // namespace gpt_adapter::service
