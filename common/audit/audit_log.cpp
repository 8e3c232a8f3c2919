#include "common/audit/audit_log.hpp"

#include "common/audit/keys.hpp"
#include "common/logging/logger.hpp"

namespace gpt_adapter::audit {

namespace {

metrics::family<metrics::counter>& events_family(metrics::registry& metrics) {
  return metrics.add_counter("gpt_adapter_audit_events_total",
                             "Audit events by whether they reached the audit stream.", {"outcome"});
}

}  // namespace

audit_log::audit_log(std::shared_ptr<redis::client> redis, metrics::registry& metrics)
    : audit_log(std::move(redis), events_family(metrics)) {}

audit_log::audit_log(std::shared_ptr<redis::client> redis,
                     metrics::family<metrics::counter>& events)
    : redis_(std::move(redis)),
      appended_(events.labels({"appended"})),
      failed_(events.labels({"failed"})) {}

boost::asio::awaitable<void> audit_log::record(event value) {
  std::vector<std::string> command{"XADD", std::string(keys::stream), "*"};
  for (auto& [name, text] : encode(value)) {
    command.push_back(std::move(name));
    command.push_back(std::move(text));
  }
  try {
    co_await redis_->command(std::move(command));
    appended_.inc();
  } catch (const std::exception& failure) {
    failed_.inc();
    logging::error("audit event not recorded", {{"event_id", value.event_id},
                                                {"application_id", value.application_id},
                                                {"operation_type", value.operation_type},
                                                {"request_id", value.request_id},
                                                {"error", failure.what()}});
  }
}

}  // namespace gpt_adapter::audit
