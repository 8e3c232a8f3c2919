#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

// What every executable shares about starting and stopping.
namespace gpt_adapter::service {

// Exit status for a configuration error (EX_CONFIG from sysexits.h).
inline constexpr int exit_config_error = 78;

// Runs `body`, turning a config::config_error into one line on stderr naming the variable
// and exit status 78, and any other exception escaping start-up into a line and status 1.
int guarded_main(std::string_view program, const std::function<int()>& body);

// Runs the context on `threads` threads (the calling one included) until it runs out of work
// or is stopped.
void run_threads(boost::asio::io_context& context, std::size_t threads);
// Runs each context on a thread of its own (the first on the calling one) until each has run
// out of work or is stopped.
void run_each_on_a_thread(const std::vector<boost::asio::io_context*>& contexts);

// Calls `on_signal` once, on the first SIGTERM or SIGINT; a second one is logged and ignored
// so that a drain is not cut short by an impatient supervisor's repeated signal.
class stop_signals {
 public:
  stop_signals(boost::asio::io_context& context, std::function<void(int)> on_signal);
  // Stops listening, so the io_context can run out of work and return.
  void cancel();

 private:
  void wait();
  boost::asio::signal_set signals_;
  std::function<void(int)> on_signal_;
  bool fired_ = false;
};

}  // namespace gpt_adapter::service
