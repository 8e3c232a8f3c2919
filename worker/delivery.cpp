#include "worker/delivery.hpp"

#include <array>
#include <memory>

#include "worker/audit_log_writer.hpp"
#include "worker/job_history_writer.hpp"

namespace gpt_adapter::worker {

void start_delivery(service::http_service& service, const config::redis_settings& redis,
                    const delivery_settings& settings, const std::string& consumer,
                    queue::stream_consumer_metrics& consumer_metrics) {
  const auto& reader = redis.connection;
  const stream_sink::connections targets{.database = service.dependencies().database,
                                         .redis = service.dependencies().redis,
                                         .reader = reader};
  stream_sink_metrics metrics(service.metrics());
  const std::array sinks{
      stream_sink::create(service.context().get_executor(), audit_log_destination(), settings.audit,
                          targets, consumer, metrics, consumer_metrics),
      stream_sink::create(service.context().get_executor(), job_history_destination(),
                          settings.job_history, targets, consumer, metrics, consumer_metrics)};
  for (const auto& sink : sinks) {
    sink->start();
    service.on_stop([sink]() { return sink->stop(); });
  }
}

}  // namespace gpt_adapter::worker
