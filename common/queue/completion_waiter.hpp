#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/queue/job_record.hpp"
#include "common/redis/client.hpp"
#include "common/redis/subscriber.hpp"

namespace gpt_adapter::queue {

// Lets an API process wait for jobs to finish: ONE subscription to the job-done channel per
// process, whatever the number of waiting requests. A waiter registers interest first, then
// reads the record, so a job that finishes in between is not missed; it reads again on each
// notification for its job, after every (re)subscription (messages may have been missed while
// disconnected) and at least every `poll_interval`, so a lost notification costs latency, never
// correctness.
class completion_waiter : public std::enable_shared_from_this<completion_waiter> {
 public:
  static std::shared_ptr<completion_waiter> create(
      boost::asio::any_io_executor executor, redis::connection_options subscriber_options,
      std::shared_ptr<redis::client> commands,
      std::chrono::milliseconds poll_interval = std::chrono::seconds(1));

  ~completion_waiter();
  completion_waiter(const completion_waiter&) = delete;
  completion_waiter& operator=(const completion_waiter&) = delete;

  void start();
  void stop();

  // The job's record as soon as it has a final status; at `deadline`, the latest record (still
  // queued or running). nullopt when there is no record at all. Throws redis::error when Redis
  // cannot be read.
  boost::asio::awaitable<std::optional<job_record>> wait(
      std::string request_id, std::chrono::steady_clock::time_point deadline);

  // Requests waiting now (for tests and metrics).
  std::size_t waiting() const;
  bool subscribed() const { return subscriber_->subscribed(); }

  // One waiting request (defined in the .cpp).
  struct waiter;

 private:
  completion_waiter(boost::asio::any_io_executor executor, std::shared_ptr<redis::client> commands,
                    std::chrono::milliseconds poll_interval);

  boost::asio::awaitable<std::optional<job_record>> wait_on_strand(
      std::shared_ptr<waiter> self, std::chrono::steady_clock::time_point deadline);
  void notify(std::string_view request_id);
  void notify_all();

  boost::asio::any_io_executor executor_;
  std::shared_ptr<redis::client> commands_;
  std::chrono::milliseconds poll_interval_;
  std::shared_ptr<redis::subscriber> subscriber_;
  mutable std::mutex mutex_;
  std::unordered_multimap<std::string, std::shared_ptr<waiter>> waiters_;
};

}  // namespace gpt_adapter::queue
