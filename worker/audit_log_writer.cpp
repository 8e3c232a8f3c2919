#include "worker/audit_log_writer.hpp"

#include <map>
#include <set>

#include <boost/json/serialize.hpp>

#include "common/audit/event.hpp"
#include "common/audit/keys.hpp"
#include "common/queue/timestamp.hpp"

namespace gpt_adapter::worker {
namespace {

const std::vector<std::string_view>& audit_column_types() {
  static const std::vector<std::string_view> types{
      "uuid", "uuid", "", "", "jsonb", "integer", "double precision", "", "", "timestamptz"};
  return types;
}

application_statement insert_statement(const std::string& application_id,
                                       const std::vector<audit::event>& events) {
  application_statement statement{.application_id = application_id, .rows = events.size()};
  statement.sql =
      "INSERT INTO custom_gpt_audit_logs (id, application_id, end_user_id, operation_type, "
      "request_data, response_status, processing_time_ms, memory_service_request_id, "
      "request_id, created_at) VALUES " +
      values_placeholders(events.size(), audit_column_types()) + " ON CONFLICT (id) DO NOTHING";
  statement.params.reserve(events.size() * audit_column_types().size());
  for (const auto& event : events) {
    statement.params.emplace_back(event.event_id);
    statement.params.emplace_back(event.application_id);
    statement.params.emplace_back(event.end_user_id);
    statement.params.emplace_back(event.operation_type);
    statement.params.emplace_back(boost::json::serialize(event.request_data));
    statement.params.emplace_back(std::to_string(event.response_status));
    statement.params.emplace_back(
        event.processing_time_ms
            ? std::optional<std::string>(std::to_string(*event.processing_time_ms))
            : std::nullopt);
    statement.params.emplace_back(event.memory_service_request_id);
    statement.params.emplace_back(event.request_id);
    statement.params.emplace_back(queue::format_timestamp(event.created_at));
  }
  return statement;
}

}  // namespace

prepared_batch prepare_audit_batch(const std::vector<redis::stream_entry>& entries) {
  prepared_batch batch;
  // Per application in order of first appearance, so the statements are deterministic.
  std::vector<std::string> order;
  std::map<std::string, std::vector<audit::event>> by_application;
  std::set<std::string> seen_events;
  for (const auto& entry : entries) {
    auto decoded = audit::decode(entry.fields);
    if (!decoded) {
      batch.rejected.push_back(
          {entry.id, "undecodable: " + decoded.error().field + ": " + decoded.error().message});
      continue;
    }
    auto event = std::move(decoded).value();
    // The same event twice in one statement is harmless with DO NOTHING, but pointless.
    if (!seen_events.insert(event.event_id).second) {
      continue;
    }
    auto [group, inserted] = by_application.try_emplace(event.application_id);
    if (inserted) {
      order.push_back(event.application_id);
    }
    group->second.push_back(std::move(event));
  }
  for (const auto& application_id : order) {
    batch.statements.push_back(insert_statement(application_id, by_application[application_id]));
  }
  return batch;
}

sink_destination audit_log_destination() {
  return {.name = "audit",
          .stream = std::string(audit::keys::stream),
          .group = std::string(audit::keys::consumer_group),
          .dead_stream = std::string(audit::keys::dead_stream),
          .prepare = prepare_audit_batch};
}

}  // namespace gpt_adapter::worker
