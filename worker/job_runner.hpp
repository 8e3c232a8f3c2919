#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/memory_bank/client.hpp"
#include "common/metrics/registry.hpp"
#include "common/queue/job.hpp"
#include "common/queue/retry_policy.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"
#include "common/service/http_service.hpp"
#include "worker/worker_settings.hpp"

namespace gpt_adapter::worker {

// The worker's job loop: reads the jobs stream as one consumer of the group (its own pending
// entries first, then new ones) with at most `concurrency` jobs in flight, runs each against the
// Memory Bank within the soft and hard time limits, and settles it atomically (record, history,
// dead letter or delayed retry, acknowledgement). Alongside: the delayed-job scheduler, the
// reclaim of entries other consumers left idle past the visibility timeout, and the backlog
// gauges. Everything runs on one strand.
class job_runner : public std::enable_shared_from_this<job_runner> {
 public:
  // `commands` is the process's shared Redis client; the runner opens its own connection for the
  // blocking XREADGROUP with `reader_options`. Registers the job metrics in `metrics`.
  static std::shared_ptr<job_runner> create(boost::asio::any_io_executor executor,
                                            job_settings settings,
                                            redis::connection_options reader_options,
                                            std::shared_ptr<redis::client> commands,
                                            std::shared_ptr<memory_bank::client> memory_bank,
                                            metrics::registry& metrics);

  void start();
  // Stops taking jobs (reading, reclaiming, promoting delayed ones); the jobs in flight go on.
  // Called as soon as shutdown is requested, so that no job starts that the grace might cut off.
  void stop_claiming();
  // Stops claiming, lets the jobs in flight finish within the shutdown grace, then hands back
  // every entry this consumer still holds so another worker takes it at once.
  boost::asio::awaitable<void> stop();

 private:
  struct metric_handles;

  job_runner(boost::asio::any_io_executor executor, job_settings settings,
             redis::connection_options reader_options, std::shared_ptr<redis::client> commands,
             std::shared_ptr<memory_bank::client> memory_bank, metrics::registry& metrics);

  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> schedule_loop();
  boost::asio::awaitable<void> claim_loop();
  boost::asio::awaitable<void> backlog_loop();
  // `redelivered`: the entry was handed out before (reclaimed, or read from this consumer's own
  // pending entries at start), so its delivery count is checked against JOB_MAX_DELIVERIES.
  boost::asio::awaitable<void> process(redis::stream_entry entry, bool redelivered);
  boost::asio::awaitable<std::int64_t> delivery_count(const std::string& entry_id);
  boost::asio::awaitable<memory_bank::call_result> execute_within_limits(const queue::job& value,
                                                                         bool redelivered);
  boost::asio::awaitable<void> dead_letter_undecodable(const redis::stream_entry& entry,
                                                       const queue::decode_error& error);
  boost::asio::awaitable<void> hand_back_held_entries();
  void dispatch(std::vector<redis::stream_entry> entries, bool redelivered);
  // Waits on `timer` for `duration` or until woken; false once stopping.
  boost::asio::awaitable<bool> pause(boost::asio::steady_timer& timer,
                                     std::chrono::milliseconds duration);
  std::size_t free_slots() const;
  void wake_all();
  void stop_claiming_on_strand();

  job_settings settings_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::shared_ptr<redis::client> reader_;
  std::shared_ptr<redis::client> commands_;
  std::shared_ptr<memory_bank::client> memory_bank_;
  queue::retry_policy retry_;
  std::unique_ptr<metric_handles> metrics_;

  // Owned by strand_.
  bool stopping_ = false;  // no more claiming
  bool drained_ = false;   // stop() ran
  std::size_t in_flight_ = 0;
  std::size_t loops_running_ = 0;
  boost::asio::steady_timer slot_timer_;  // woken when a job finishes
  boost::asio::steady_timer read_retry_timer_;
  boost::asio::steady_timer schedule_timer_;
  boost::asio::steady_timer claim_timer_;
  boost::asio::steady_timer backlog_timer_;
  boost::asio::steady_timer drain_timer_;  // woken when a job or loop ends
};

// Creates the Memory Bank client and the job loop on `service`'s io_context, starts the loop,
// stops its claiming when shutdown is requested and registers its drain (then the client's
// stop) as a shutdown hook.
void start_jobs(service::http_service& service, const worker_settings& settings);

}  // namespace gpt_adapter::worker
