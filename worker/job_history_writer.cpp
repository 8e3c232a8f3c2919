#include "worker/job_history_writer.hpp"

#include <map>

#include "common/queue/job_outcome.hpp"
#include "common/queue/keys.hpp"
#include "common/queue/timestamp.hpp"
#include "common/text/uuid.hpp"

namespace gpt_adapter::worker {
namespace {

const std::vector<std::string_view>& job_column_types() {
  static const std::vector<std::string_view> types{"",
                                                   "uuid",
                                                   "",
                                                   "",
                                                   "",
                                                   "integer",
                                                   "",
                                                   "integer",
                                                   "",
                                                   "double precision",
                                                   "timestamptz",
                                                   "timestamptz"};
  return types;
}

application_statement upsert_statement(const std::string& application_id,
                                       const std::vector<queue::job_outcome>& outcomes) {
  application_statement statement{.application_id = application_id, .rows = outcomes.size()};
  statement.sql =
      "INSERT INTO custom_gpt_jobs AS job (request_id, application_id, end_user_id, operation, "
      "status, attempts, error, memory_bank_status, memory_bank_request_id, processing_time_ms, "
      "created_at, completed_at) VALUES " +
      values_placeholders(outcomes.size(), job_column_types()) +
      " ON CONFLICT (request_id) DO UPDATE SET end_user_id = EXCLUDED.end_user_id, "
      "operation = EXCLUDED.operation, status = EXCLUDED.status, attempts = EXCLUDED.attempts, "
      "error = EXCLUDED.error, memory_bank_status = EXCLUDED.memory_bank_status, "
      "memory_bank_request_id = EXCLUDED.memory_bank_request_id, "
      "processing_time_ms = EXCLUDED.processing_time_ms, created_at = EXCLUDED.created_at, "
      "completed_at = EXCLUDED.completed_at, recorded_at = now() "
      "WHERE job.completed_at IS NULL OR job.completed_at <= EXCLUDED.completed_at";
  statement.params.reserve(outcomes.size() * job_column_types().size());
  for (const auto& outcome : outcomes) {
    statement.params.emplace_back(outcome.request_id);
    statement.params.emplace_back(outcome.application_id);
    statement.params.emplace_back(outcome.end_user_id);
    statement.params.emplace_back(std::string(queue::to_string(outcome.op)));
    statement.params.emplace_back(std::string(queue::to_string(outcome.status)));
    statement.params.emplace_back(std::to_string(outcome.attempts));
    statement.params.emplace_back(outcome.error);
    statement.params.emplace_back(
        outcome.memory_bank_status
            ? std::optional<std::string>(std::to_string(*outcome.memory_bank_status))
            : std::nullopt);
    statement.params.emplace_back(outcome.memory_bank_request_id);
    statement.params.emplace_back(std::to_string(outcome.processing_time.count()));
    statement.params.emplace_back(queue::format_timestamp(outcome.created_at));
    statement.params.emplace_back(queue::format_timestamp(outcome.completed_at));
  }
  return statement;
}

}  // namespace

prepared_batch prepare_job_history_batch(const std::vector<redis::stream_entry>& entries) {
  prepared_batch batch;
  std::vector<std::string> order;
  // One row per request id and statement (an upsert cannot touch a row twice): the outcome that
  // completed last wins, and of equal ones the later entry.
  std::map<std::string, std::map<std::string, queue::job_outcome>> by_application;
  for (const auto& entry : entries) {
    auto decoded = queue::decode_outcome(entry.fields);
    if (!decoded) {
      batch.rejected.push_back(
          {entry.id, "undecodable: " + decoded.error().field + ": " + decoded.error().message});
      continue;
    }
    auto outcome = std::move(decoded).value();
    if (!text::is_uuid(outcome.application_id)) {
      batch.rejected.push_back({entry.id, "undecodable: application_id: must be a UUID"});
      continue;
    }
    auto [group, inserted] = by_application.try_emplace(outcome.application_id);
    if (inserted) {
      order.push_back(outcome.application_id);
    }
    auto [row, fresh] = group->second.try_emplace(outcome.request_id, outcome);
    if (!fresh && row->second.completed_at <= outcome.completed_at) {
      row->second = std::move(outcome);
    }
  }
  for (const auto& application_id : order) {
    std::vector<queue::job_outcome> outcomes;
    for (auto& [request_id, outcome] : by_application[application_id]) {
      outcomes.push_back(std::move(outcome));
    }
    batch.statements.push_back(upsert_statement(application_id, outcomes));
  }
  return batch;
}

sink_destination job_history_destination() {
  return {.name = "job_history",
          .stream = std::string(queue::keys::history_stream),
          .group = std::string(queue::keys::history_group),
          .dead_stream = std::string(queue::keys::history_dead_stream),
          .prepare = prepare_job_history_batch};
}

}  // namespace gpt_adapter::worker
