#include "worker/delivery.hpp"

#include <array>
#include <memory>
#include <unistd.h>

#include "worker/audit_log_writer.hpp"
#include "worker/job_history_writer.hpp"

namespace gpt_adapter::worker {
namespace {

// Unique per process and stable for its lifetime: host name and pid. A restarted process gets
// a new name; what its predecessor left pending is taken over through XAUTOCLAIM.
std::string consumer_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) {
    return "worker-" + std::to_string(getpid());
  }
  return std::string(host.data()) + "-" + std::to_string(getpid());
}

}  // namespace

void start_delivery(service::http_service& service, const config::redis_settings& redis,
                    const delivery_settings& settings) {
  auto reader = redis::parse_url(redis.url);
  reader.command_timeout = redis.command_timeout;
  const stream_sink::connections targets{.database = service.dependencies().database,
                                         .redis = service.dependencies().redis,
                                         .reader = reader};
  stream_sink_metrics metrics(service.metrics());
  const auto consumer = consumer_name();
  const std::array sinks{
      stream_sink::create(service.context().get_executor(), audit_log_destination(), settings.audit,
                          targets, consumer, metrics),
      stream_sink::create(service.context().get_executor(), job_history_destination(),
                          settings.job_history, targets, consumer, metrics)};
  for (const auto& sink : sinks) {
    sink->start();
    service.on_stop([sink]() { return sink->stop(); });
  }
}

}  // namespace gpt_adapter::worker
