#pragma once

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "tests/support/process.hpp"

namespace gpt_adapter::testing {

// An io_context run by `count` threads, as the services run theirs, for driving coroutines
// from a test. On destruction it waits (bounded) for the context to run out of work, then stops it.
class io_threads {
 public:
  explicit io_threads(unsigned count) : work_(boost::asio::make_work_guard(context_)) {
    for (unsigned i = 0; i < count; ++i) {
      threads_.emplace_back([this] { context_.run(); });
    }
  }

  ~io_threads() {
    if (!drained(10s)) {
      context_.stop();
    }
    for (auto& thread : threads_) {
      thread.join();
    }
  }

  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  boost::asio::io_context& context() { return context_; }

  // Whether the context ran out of work (every handler and timer finished) within `limit`.
  bool drained(std::chrono::milliseconds limit) {
    work_.reset();
    return wait_until([this] { return context_.stopped(); }, limit);
  }

  // Runs a coroutine on the context and waits for its result, rethrowing its exception.
  // T must be default-constructible (a requirement of co_spawn).
  template <typename T>
  T run(boost::asio::awaitable<T> task, std::chrono::milliseconds limit = 60s) {
    auto future = boost::asio::co_spawn(context_, std::move(task), boost::asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready) {
      throw std::runtime_error("coroutine did not finish in time");
    }
    return future.get();
  }

 private:
  boost::asio::io_context context_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace gpt_adapter::testing
