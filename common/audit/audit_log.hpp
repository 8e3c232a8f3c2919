#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>

#include "common/audit/event.hpp"
#include "common/metrics/registry.hpp"
#include "common/redis/client.hpp"

namespace gpt_adapter::audit {

// Where services record audit events: each one is appended to the audit stream, from which
// the worker writes them to PostgreSQL in batches (so a request never waits on PostgreSQL, and
// events survive a PostgreSQL outage in the stream). The stream is never trimmed here: the
// worker deletes entries once they are written.
class audit_log {
 public:
  audit_log(std::shared_ptr<redis::client> redis, metrics::registry& metrics);

  // Appends the event. Never throws: an event that cannot be appended (Redis unreachable) is
  // logged without its request data and counted in gpt_adapter_audit_events_total{outcome=
  // "failed"}, because an audit failure must not fail the request it describes.
  boost::asio::awaitable<void> record(event value);

  // Counts an event its caller appended itself (encode(event) to keys::stream) within another
  // Redis step, e.g. together with the job its request enqueued.
  void count_appended() { appended_.inc(); }

 private:
  audit_log(std::shared_ptr<redis::client> redis, metrics::family<metrics::counter>& events);

  std::shared_ptr<redis::client> redis_;
  metrics::counter& appended_;
  metrics::counter& failed_;
};

}  // namespace gpt_adapter::audit
