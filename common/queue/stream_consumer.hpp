#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/metrics/registry.hpp"
#include "common/queue/dead_fields.hpp"
#include "common/redis/client.hpp"
#include "common/redis/stream_reply.hpp"

// The one consumer-group engine of the project: the job loop and both PostgreSQL sinks are
// policies on top of it. It owns group creation (and NOGROUP recovery), this consumer's own
// pending entries first after a restart, the blocking reader and batching, delivery counts,
// reclaiming entries idle past the visibility timeout, liveness heartbeats and the takeover of
// dead consumers' entries, acknowledging (XACK + XDEL in one step), dead-lettering with one field
// convention, and handing entries back at shutdown.
namespace gpt_adapter::queue {

struct consumer_settings {
  std::string name;  // the `stream` label of the takeover metrics, and in logs
  std::string stream;
  std::string group;
  std::string dead_stream;
  std::string consumer;
  std::size_t batch_size = 1;                   // entries per handler call...
  std::chrono::milliseconds batch_max_wait{0};  // ...or fewer, once the first waited this long
  std::size_t concurrency = 1;                  // handler calls in flight
  std::chrono::milliseconds block{1000};        // XREADGROUP BLOCK
  // Entries any consumer left unacknowledged this long are reclaimed (XAUTOCLAIM), looked for
  // every claim_interval: the fallback for consumers that never kept a heartbeat.
  std::chrono::milliseconds claim_idle{60000};
  std::chrono::milliseconds claim_interval{5000};
  // Each consumer refreshes its heartbeat key every heartbeat_interval with this TTL; one whose
  // key lapsed (and that has not touched the stream for as long) is dead, and the first live
  // consumer to notice takes over its pending entries at once and removes it from the group.
  std::chrono::milliseconds heartbeat_ttl{5000};
  std::chrono::milliseconds heartbeat_interval{1000};
  // Whether the handler needs delivery counts of redelivered entries (one more round trip).
  bool count_deliveries = false;
  // How often the dead stream's length goes to the dead-letter observer (0: only after this
  // consumer set entries aside), so entries other consumers set aside, or an operator removed,
  // show too.
  std::chrono::milliseconds dead_count_interval{0};
};

struct delivery {
  redis::stream_entry entry;
  // How often the entry was handed out, this time included (1 for a first read, and when
  // count_deliveries is off).
  std::int64_t deliveries = 1;
  // Read before: from this consumer's own pending entries, reclaimed or taken over.
  bool redelivered = false;
};

// What becomes of one entry of a handler call.
struct verdict {
  enum class kind {
    ack,          // done: acknowledged and deleted
    dead,         // set aside in the dead stream with `reason`, then acknowledged and deleted
    keep,         // left pending, untouched (it returns by reclaim or takeover)
    retry_later,  // handed to the handler again after `delay`, its slot held meanwhile
    settled,      // the policy acknowledged it itself, atomically with its own effects
  };
  kind what = kind::ack;
  std::string reason;  // dead: dead_reason
  std::string detail;  // dead: last_error, when not empty
  std::chrono::milliseconds delay{0};

  static verdict acknowledged() { return {}; }
  static verdict dead_letter(std::string reason, std::string detail = {}) {
    return {kind::dead, std::move(reason), std::move(detail), {}};
  }
  static verdict left_pending() { return {kind::keep, {}, {}, {}}; }
  static verdict again_after(std::chrono::milliseconds delay) {
    return {kind::retry_later, {}, {}, delay};
  }
  static verdict settled_by_policy() { return {kind::settled, {}, {}, {}}; }
};

// One verdict per delivery, in order. A handler that throws leaves its entries pending.
using batch_handler =
    std::function<boost::asio::awaitable<std::vector<verdict>>(const std::vector<delivery>&)>;
// Gives an entry this consumer holds back at shutdown; false when it was no longer pending.
using hand_back_handler = std::function<boost::asio::awaitable<bool>(const redis::stream_entry&)>;

using dead_letter_observer = std::function<void(std::size_t added, std::int64_t length)>;

// The takeover metrics, registered once and shared by every consumer (labelled by stream).
class stream_consumer_metrics {
 public:
  explicit stream_consumer_metrics(metrics::registry& registry);

 private:
  friend class stream_consumer;
  metrics::family<metrics::counter>& consumers_taken_over_;
  metrics::family<metrics::counter>& entries_taken_over_;
  metrics::family<metrics::counter>& entries_reclaimed_;
};

// The heartbeat key of a consumer: next to its stream, in the same hash slot.
std::string heartbeat_key(std::string_view stream, std::string_view group,
                          std::string_view consumer);

class stream_consumer : public std::enable_shared_from_this<stream_consumer> {
  struct private_tag {};

 public:
  // `commands` is shared; the blocking reads get their own connection with `reader_options`.
  static std::shared_ptr<stream_consumer> create(boost::asio::any_io_executor executor,
                                                 consumer_settings settings,
                                                 std::shared_ptr<redis::client> commands,
                                                 redis::connection_options reader_options,
                                                 batch_handler handler,
                                                 stream_consumer_metrics& metrics);
  stream_consumer(private_tag, boost::asio::any_io_executor executor, consumer_settings settings,
                  std::shared_ptr<redis::client> commands, redis::connection_options reader_options,
                  batch_handler handler, stream_consumer_metrics& metrics);

  // With one, stop() hands back every entry still held after the grace; without, they stay
  // pending for a takeover once the heartbeat lapses.
  void set_hand_back(hand_back_handler hand_back);
  // Told, after entries were dead-lettered, how many and the dead stream's length then, and
  // every dead_count_interval the length (with 0 added).
  void set_dead_letter_observer(dead_letter_observer observer);
  void start();
  // Stops reading, reclaiming and taking over; calls in flight go on. Safe from any thread.
  void stop_claiming();
  // Stops claiming, gives partial batches and those waiting to be retried one more call, waits
  // for calls in flight up to `grace`, hands back what is still held (see set_hand_back), and
  // leaves the group when it holds nothing. Idempotent.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);

  // Handler calls in flight; on the strand's executor only (for gauges the policy keeps).
  std::size_t in_flight() const { return in_flight_; }

 private:
  using clock = std::chrono::steady_clock;

  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> liveness_loop();
  boost::asio::awaitable<bool> ensure_group();
  boost::asio::awaitable<void> refresh_heartbeat();
  boost::asio::awaitable<void> take_over_dead_consumers();
  boost::asio::awaitable<void> reclaim_idle();
  boost::asio::awaitable<void> hand_back_held();
  boost::asio::awaitable<void> leave_group();
  // Adds entries not held already to the forming batch, then starts the calls that are due.
  boost::asio::awaitable<void> take(std::vector<redis::stream_entry> entries, bool redelivered);
  void dispatch_due();
  void dispatch(std::vector<delivery> batch);
  boost::asio::awaitable<void> run_batch(std::vector<delivery> batch);
  boost::asio::awaitable<void> apply(const std::vector<delivery>& batch,
                                     const std::vector<verdict>& verdicts);
  std::size_t free_slots() const;
  std::size_t wanted_entries() const;
  boost::asio::awaitable<bool> pause(boost::asio::steady_timer& timer,
                                     std::chrono::milliseconds duration);
  void stop_claiming_on_strand();

  consumer_settings settings_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::shared_ptr<redis::client> commands_;
  std::shared_ptr<redis::client> reader_;
  batch_handler handler_;
  hand_back_handler hand_back_;
  std::string heartbeat_key_;
  metrics::counter& consumers_taken_over_;
  metrics::counter& entries_taken_over_;
  metrics::counter& entries_reclaimed_;

  // Owned by strand_.
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  bool group_ready_ = false;
  std::size_t in_flight_ = 0;
  std::size_t loops_running_ = 0;
  std::vector<delivery> forming_;
  clock::time_point forming_since_{};
  std::unordered_set<std::string> held_;  // ids in forming_ or in a call
  clock::time_point next_reclaim_{};
  clock::time_point next_dead_count_{};
  std::string reclaim_cursor_ = "0-0";
  boost::asio::steady_timer slot_timer_;                 // woken when a call ends
  boost::asio::steady_timer retry_timer_;                // read errors
  boost::asio::steady_timer liveness_timer_;             // heartbeat, takeover, reclaim
  boost::asio::steady_timer drain_timer_;                // woken when a call or loop ends
  std::vector<boost::asio::steady_timer*> retry_waits_;  // retry_later waits, ended at stop
  dead_letter_observer dead_observer_;
};

}  // namespace gpt_adapter::queue
