#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/memory_bank/client.hpp"
#include "common/metrics/registry.hpp"
#include "common/queue/job.hpp"
#include "common/queue/job_queue.hpp"
#include "common/queue/retry_policy.hpp"
#include "common/queue/stream_consumer.hpp"
#include "common/redis/client.hpp"
#include "common/service/http_service.hpp"
#include "worker/job_metrics.hpp"
#include "worker/worker_settings.hpp"

namespace gpt_adapter::worker {

// The job policy on top of the queue's stream consumer: each job runs against the Memory Bank
// within the soft and hard time limits, decide() rules on the answer, and the job is settled
// atomically (record, history, dead letter or delayed retry, acknowledgement). Alongside: the
// delayed-job scheduler and the backlog gauges.
class job_runner : public std::enable_shared_from_this<job_runner> {
 public:
  // `commands` is the process's shared Redis client; the consumer opens its own connection for
  // the blocking XREADGROUP with `reader_options`. Registers the job metrics in `metrics`.
  static std::shared_ptr<job_runner> create(boost::asio::any_io_executor executor,
                                            job_settings settings,
                                            redis::connection_options reader_options,
                                            std::shared_ptr<redis::client> commands,
                                            std::shared_ptr<memory_bank::client> memory_bank,
                                            metrics::registry& metrics,
                                            queue::stream_consumer_metrics& consumer_metrics);

  void start();
  // Stops taking jobs (reading, reclaiming, promoting delayed ones); the jobs in flight go on.
  // Called as soon as shutdown is requested, so that no job starts that the grace might cut off.
  void stop_claiming();
  // Stops claiming, lets the jobs in flight finish within the shutdown grace, then hands back
  // every entry this consumer still holds so another worker takes it at once.
  boost::asio::awaitable<void> stop();

 private:
  job_runner(boost::asio::any_io_executor executor, job_settings settings,
             std::shared_ptr<redis::client> commands,
             std::shared_ptr<memory_bank::client> memory_bank, metrics::registry& metrics);

  boost::asio::awaitable<queue::verdict> process(const queue::delivery& delivered);
  boost::asio::awaitable<void> schedule_loop();
  boost::asio::awaitable<void> backlog_loop();
  // Waits on `timer` for `duration` or until woken; false once stopping.
  boost::asio::awaitable<bool> pause(boost::asio::steady_timer& timer,
                                     std::chrono::milliseconds duration);

  queue::job_queue jobs() const { return queue::job_queue(*commands_, settings_.record_ttl); }

  job_settings settings_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::shared_ptr<redis::client> commands_;
  std::shared_ptr<memory_bank::client> memory_bank_;
  queue::retry_policy retry_;
  job_metrics metrics_;
  std::shared_ptr<queue::stream_consumer> consumer_;

  // Owned by strand_.
  bool stopping_ = false;
  std::size_t loops_running_ = 0;
  boost::asio::steady_timer schedule_timer_;
  boost::asio::steady_timer backlog_timer_;
  boost::asio::steady_timer drain_timer_;  // woken when a loop ends
};

// Creates the Memory Bank client and the job loop on `service`'s io_context, starts the loop,
// stops its claiming when shutdown is requested and registers its drain (then the client's
// stop) as a shutdown hook.
void start_jobs(service::http_service& service, const worker_settings& settings,
                queue::stream_consumer_metrics& consumer_metrics);

}  // namespace gpt_adapter::worker
