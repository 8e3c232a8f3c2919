#include "api/memory/memory_routes.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/memory/idempotency.hpp"
#include "api/memory/memory_api_docs.hpp"
#include "api/memory/memory_requests.hpp"
#include "api/memory/response_budget.hpp"
#include "common/audit/keys.hpp"
#include "common/http/media_type.hpp"
#include "common/http/request_id.hpp"
#include "common/logging/logger.hpp"
#include "common/memory_bank/operations.hpp"
#include "common/queue/job_queue.hpp"
#include "common/queue/timestamp.hpp"

namespace gpt_adapter::api::memory {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;
using request_auth::caller_identity;
using clock = std::chrono::steady_clock;

// What one call tells the audit trail besides its status: sanitised request data (no content
// beyond a short prefix) and the Memory Bank's request id when a job finished.
struct audit_note {
  std::string operation_type;
  clock::time_point started;
  json::object request_data;
  std::optional<std::string> memory_bank_request_id;
  // The handler appended the event itself, with the job its request enqueued.
  bool recorded = false;
};

// How much of a query or content the audit trail keeps.
constexpr std::size_t audit_prefix_chars = 40;

// A caller's own X-Request-ID becomes the job id; it may not name a job that exists already
// (enqueueing would replace that job's record), so each one is claimed once for the record's
// lifetime.
constexpr std::string_view request_id_claim_prefix = "{gpt-adapter}:request-id:";

struct route_state {
  memory_route_dependencies dependencies;
  metrics::family<metrics::counter>& answers;

  route_state(memory_route_dependencies values)
      : dependencies(std::move(values)),
        answers(dependencies.metrics.add_counter(
            "gpt_adapter_memory_answers_total",
            "Answers of the memory endpoints by operation and outcome (success, pending, "
            "accepted, replayed, not_found, invalid, unavailable, failed, error).",
            {"operation", "outcome"})) {}

  std::string status_url(std::string_view request_id) const {
    return dependencies.public_base_url + "/api/v1/jobs/" + std::string(request_id);
  }
};

using state_ptr = std::shared_ptr<route_state>;

using memory_handler = std::function<asio::awaitable<http::response>(
    const state_ptr&, http::request_context&, const caller_identity&, audit_note&)>;

http::response json_response(bhttp::status status, const http::request_context& context,
                             const json::object& body) {
  http::response answer{status, context.message.version()};
  answer.set(bhttp::field::content_type, "application/json");
  answer.set(bhttp::field::cache_control, "no-store");
  answer.body() = json::serialize(body);
  answer.prepare_payload();
  return answer;
}

[[noreturn]] void refuse(bhttp::status status, std::string detail,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         json::object extensions = {}) {
  throw http::problem_error(http::problem{.status = status,
                                          .detail = std::move(detail),
                                          .extensions = std::move(extensions),
                                          .headers = std::move(headers)});
}

[[noreturn]] void refuse_fields(const field_errors& errors) {
  json::array listed;
  for (const auto& error : errors) {
    listed.push_back(json::object{{"pointer", error.pointer}, {"detail", error.detail}});
  }
  refuse(bhttp::status::unprocessable_entity,
         "The request has " + std::to_string(errors.size()) + " invalid field" +
             (errors.size() == 1 ? "" : "s") + ": see errors.",
         {}, json::object{{"errors", std::move(listed)}});
}

// The request body as JSON: 415 unless it is declared application/json, 400 unless it parses.
json::value json_body(const http::request_context& context) {
  const auto content_type = context.message[bhttp::field::content_type];
  if (!http::is_json_media_type(content_type)) {
    refuse(bhttp::status::unsupported_media_type,
           "Send the body as application/json (Content-Type: application/json).");
  }
  boost::system::error_code error;
  auto body = json::parse(context.message.body(), error);
  if (error) {
    refuse(bhttp::status::bad_request, "The body is not valid JSON.");
  }
  return body;
}

template <typename T>
T valid_or_refuse(validated<T> checked) {
  if (!checked) {
    refuse_fields(checked.error());
  }
  return std::move(checked).value();
}

queue::time_point wall_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

queue::job new_job(const route_state& state, const http::request_context& context,
                   const caller_identity& caller, queue::operation op, json::object payload) {
  queue::job value;
  value.request_id = context.request_id;
  value.op = op;
  value.application_id = caller.application_id;
  value.end_user_id = caller.end_user_id;
  value.payload = std::move(payload);
  value.enqueued_at = wall_now();
  value.deadline = value.enqueued_at + state.dependencies.settings.job_deadline;
  return value;
}

double milliseconds_since(clock::time_point start) {
  return std::chrono::duration<double, std::milli>(clock::now() - start).count();
}

audit::event audit_event(const http::request_context& context, const caller_identity& caller,
                         const audit_note& note, json::object request_data, int status) {
  auto event = audit::new_event(caller.application_id, note.operation_type, context.request_id);
  event.end_user_id = caller.end_user_id;
  event.request_data = std::move(request_data);
  if (!caller.door.empty()) {
    event.request_data["door"] = caller.door;
  }
  event.response_status = status;
  event.processing_time_ms = milliseconds_since(note.started);
  event.memory_service_request_id = note.memory_bank_request_id;
  return event;
}

// Puts the job on the queue, in one atomic step (one round trip) with what goes with it: a
// request id the caller chose is claimed (409 when it already named another request), and
// `audit_entry`, when given, is appended to the audit stream.
asio::awaitable<void> enqueue(const route_state& state, const http::request_context& context,
                              const queue::job& value, queue::stream_fields audit_entry = {}) {
  queue::enqueue_extras extras;
  if (context.message["X-Request-ID"] == context.request_id) {
    extras.claim_key = std::string(request_id_claim_prefix) + value.request_id;
    extras.claim_ttl = state.dependencies.settings.record_ttl;
  }
  if (!audit_entry.empty()) {
    extras.companion_stream = audit::keys::stream;
    extras.companion_fields = std::move(audit_entry);
  }
  queue::job_queue jobs(*state.dependencies.redis, state.dependencies.settings.record_ttl);
  const auto id = co_await jobs.enqueue_with(value, extras);
  if (!id) {
    refuse(bhttp::status::conflict,
           "This X-Request-ID was already used for another request; send a new one or none.");
  }
}

// Enqueues a write, whose answer is 202 as soon as the job is in: its audit event (status 202,
// the time until the enqueue) goes in the same step instead of a round trip of its own. If the
// enqueue fails, nothing was appended and the wrapper records the failure as usual.
asio::awaitable<void> enqueue_accepted(const route_state& state,
                                       const http::request_context& context,
                                       const caller_identity& caller, audit_note& note,
                                       const queue::job& value) {
  const auto event = audit_event(context, caller, note, note.request_data, 202);
  co_await enqueue(state, context, value, audit::encode(event));
  note.recorded = true;
  state.dependencies.audit->count_appended();
}

json::object accepted_body(const route_state& state, std::string_view request_id,
                           std::string message) {
  return {{"status", "accepted"},
          {"request_id", request_id},
          {"message", std::move(message)},
          {"status_url", state.status_url(request_id)}};
}

// The worker records this code while the breaker refuses calls and the job waits for it to close.
bool circuit_is_open(const queue::job_record& record) {
  return record.error_code == queue::job_error_code::memory_bank_unavailable;
}

std::string retry_after_seconds(std::chrono::milliseconds delay) {
  return std::to_string((delay.count() + 999) / 1000);
}

[[noreturn]] void refuse_circuit_open(const route_state& state) {
  refuse(bhttp::status::service_unavailable,
         "The memory service is unavailable right now; the request is kept and retried. Try "
         "again after Retry-After seconds.",
         {{"Retry-After", retry_after_seconds(state.dependencies.settings.circuit_retry_after)}});
}

// A job given up (dead-lettered): the Memory Bank refused it (502) or stayed unreachable (503).
[[noreturn]] void refuse_dead(const route_state& state, const queue::job_record& record) {
  if (record.memory_bank_status && *record.memory_bank_status >= 400 &&
      *record.memory_bank_status < 500) {
    refuse(bhttp::status::bad_gateway, "The memory service refused the request.");
  }
  refuse(bhttp::status::service_unavailable,
         "The memory service could not complete the request; try again later.",
         {{"Retry-After", retry_after_seconds(state.dependencies.settings.circuit_retry_after)}});
}

json::value parsed_result(const queue::job_record& record) {
  boost::system::error_code error;
  auto value = json::parse(record.result.value_or("null"), error);
  if (error) {
    throw std::runtime_error("a job result is not JSON");
  }
  return value;
}

const json::array& result_array(const json::value& result) {
  if (!result.is_array()) {
    throw std::runtime_error("a job result is not an array");
  }
  return result.as_array();
}

// A list job's result: {memories, has_more, capped}.
const json::object& result_object(const json::value& result) {
  if (!result.is_object() || !result.as_object().contains("memories") ||
      !result.as_object().contains("has_more") || !result.as_object().contains("capped")) {
    throw std::runtime_error("a list job's result is not a page");
  }
  return result.as_object();
}

// mem0 names memories by UUIDs: any other id names nothing, answered without a job.
std::string known_memory_id(std::string_view path_segment) {
  auto memory_id = valid_or_refuse(parse_memory_id(path_segment));
  if (!memory_bank::is_memory_id(memory_id)) {
    refuse(bhttp::status::not_found, "No such memory for this user.");
  }
  return memory_id;
}

// One memory, its content shortened to the answer limit.
json::value fitted_memory(const json::value& memory, bool& truncated) {
  auto fitted = fit_results(json::array{memory});
  truncated = truncated || fitted.truncated;
  return fitted.results.empty() ? json::value(nullptr) : std::move(fitted.results.front());
}

using result_shaper =
    std::function<json::object(const json::value& result, const http::request_context& context)>;

// Enqueues a read and waits for it up to the search wait from `started`: 200 with the shaped
// result, 202 pending, or the problem its outcome calls for.
asio::awaitable<http::response> run_read(const state_ptr& state, http::request_context& context,
                                         const caller_identity& caller, audit_note& note,
                                         queue::operation op, json::object payload,
                                         clock::time_point started, result_shaper shape) {
  const std::string operation(queue::to_string(op));
  co_await enqueue(*state, context, new_job(*state, context, caller, op, std::move(payload)));
  const auto record = co_await state->dependencies.waiter->wait(
      context.request_id, started + state->dependencies.settings.search_wait);
  if (!record) {
    throw std::runtime_error("the job record vanished while waiting");
  }
  note.memory_bank_request_id = record->memory_bank_request_id;
  switch (record->status) {
    case queue::job_status::succeeded:
      state->answers.labels({operation, "success"}).inc();
      co_return json_response(bhttp::status::ok, context, shape(parsed_result(*record), context));
    case queue::job_status::failed:
      state->answers.labels({operation, "not_found"}).inc();
      refuse(bhttp::status::not_found, "No such memory for this user.");
    case queue::job_status::dead:
      state->answers.labels({operation, "failed"}).inc();
      refuse_dead(*state, *record);
    case queue::job_status::queued:
    case queue::job_status::running:
      break;
  }
  if (circuit_is_open(*record)) {
    state->answers.labels({operation, "unavailable"}).inc();
    refuse_circuit_open(*state);
  }
  state->answers.labels({operation, "pending"}).inc();
  co_return json_response(
      bhttp::status::accepted, context,
      {{"status", "pending"},
       {"request_id", context.request_id},
       {"message", "Still working on it: call getJob with this request_id in a few seconds."},
       {"status_url", state->status_url(context.request_id)}});
}

asio::awaitable<http::response> answer_accepted(const state_ptr& state,
                                                http::request_context& context, queue::operation op,
                                                std::string_view request_id, std::string message,
                                                std::string_view outcome) {
  state->answers.labels({std::string(queue::to_string(op)), std::string(outcome)}).inc();
  co_return json_response(bhttp::status::accepted, context,
                          accepted_body(*state, request_id, std::move(message)));
}

json::object context_data(const call_context& context) {
  json::object data;
  if (context.custom_gpt_id) {
    data["custom_gpt_id"] = *context.custom_gpt_id;
  }
  if (context.conversation_id) {
    data["conversation_id"] = *context.conversation_id;
  }
  return data;
}

json::array string_array(const std::vector<std::string>& values) {
  json::array items;
  for (const auto& value : values) {
    items.emplace_back(value);
  }
  return items;
}

asio::awaitable<http::response> search(const state_ptr& state, http::request_context& context,
                                       const caller_identity& caller, audit_note& note) {
  const auto started = clock::now();
  const auto request = valid_or_refuse(parse_search_request(json_body(context)));
  note.request_data = {{"query_prefix", shorten(request.query, audit_prefix_chars)},
                       {"query_chars", count_code_points(request.query)},
                       {"limit", request.limit},
                       {"categories", string_array(request.categories)},
                       {"date_range", request.created_after || request.created_before},
                       {"context", context_data(request.context)}};
  co_return co_await run_read(
      state, context, caller, note, queue::operation::search, to_job_payload(request), started,
      [started](const json::value& result, const http::request_context& call) {
        const auto& all = result_array(result);
        auto fitted = fit_results(all);
        return json::object{{"status", "success"},
                            {"request_id", call.request_id},
                            {"results", std::move(fitted.results)},
                            {"total_found", all.size()},
                            {"processing_time_ms", milliseconds_since(started)},
                            {"truncated", fitted.truncated}};
      });
}

asio::awaitable<http::response> create(const state_ptr& state, http::request_context& context,
                                       const caller_identity& caller, audit_note& note) {
  const auto request = valid_or_refuse(parse_create_request(json_body(context)));
  const auto header = context.message["Idempotency-Key"];
  const auto key = valid_or_refuse(resolve_idempotency_key(
      header.empty() ? std::nullopt : std::optional<std::string_view>(header),
      request.idempotency_key));
  note.request_data = {{"content_prefix", shorten(request.content, audit_prefix_chars)},
                       {"content_chars", count_code_points(request.content)},
                       {"categories", string_array(request.categories)},
                       {"idempotency_key", key.has_value()},
                       {"context", context_data(request.context)}};
  if (request.priority) {
    note.request_data["priority"] = to_string(*request.priority);
  }
  auto payload = to_job_payload(request);
  constexpr std::string_view accepted_message =
      "Accepted: the memory is being stored. Call getJob with this request_id to confirm.";
  if (!key) {
    co_await enqueue_accepted(
        *state, context, caller, note,
        new_job(*state, context, caller, queue::operation::create, std::move(payload)));
    co_return co_await answer_accepted(state, context, queue::operation::create, context.request_id,
                                       std::string(accepted_message), "accepted");
  }
  auto& redis = *state->dependencies.redis;
  const auto redis_key = idempotency_redis_key(caller.application_id, caller.end_user_id, *key);
  const remembered_request mine{context.request_id, body_fingerprint(payload)};
  const auto claim =
      co_await claim_idempotency_key(redis, redis_key, mine,
                                     std::chrono::duration_cast<std::chrono::milliseconds>(
                                         state->dependencies.settings.idempotency_ttl));
  switch (claim.outcome) {
    case idempotency_claim::kind::replayed:
      note.request_data["replayed"] = true;
      note.request_data["original_request_id"] = claim.request_id;
      co_return co_await answer_accepted(state, context, queue::operation::create, claim.request_id,
                                         std::string(accepted_message), "replayed");
    case idempotency_claim::kind::conflict:
      refuse_fields({{header.empty() ? "#/idempotency_key" : "Idempotency-Key",
                      "was already used with a different request body; use a new key"}});
    case idempotency_claim::kind::claimed:
      break;
  }
  std::exception_ptr failure;
  try {
    co_await enqueue_accepted(
        *state, context, caller, note,
        new_job(*state, context, caller, queue::operation::create, std::move(payload)));
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await release_idempotency_key(redis, redis_key, mine);
    std::rethrow_exception(failure);
  }
  co_return co_await answer_accepted(state, context, queue::operation::create, context.request_id,
                                     std::string(accepted_message), "accepted");
}

std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto end = query.find('&');
    const auto pair = query.substr(0, end);
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    }
    if (end == std::string_view::npos) {
      break;
    }
    query.remove_prefix(end + 1);
  }
  return std::nullopt;
}

asio::awaitable<http::response> list(const state_ptr& state, http::request_context& context,
                                     const caller_identity& caller, audit_note& note) {
  const auto started = clock::now();
  const auto request = valid_or_refuse(parse_list_request(
      query_parameter(context.query, "limit"), query_parameter(context.query, "cursor")));
  note.request_data = {{"limit", request.limit}, {"page", request.page}};
  co_return co_await run_read(
      state, context, caller, note, queue::operation::list, to_job_payload(request), started,
      [request](const json::value& result, const http::request_context& call) {
        const auto& page = result_object(result);
        auto fitted = fit_results(result_array(page.at("memories")));
        json::object body{{"status", "success"},
                          {"request_id", call.request_id},
                          {"results", std::move(fitted.results)},
                          {"truncated", fitted.truncated}};
        if (page.at("has_more").as_bool()) {
          body["next_cursor"] = encode_cursor(request.page + 1);
        }
        if (page.at("capped").as_bool()) {
          body["listing_capped"] = true;
        }
        return body;
      });
}

asio::awaitable<http::response> get(const state_ptr& state, http::request_context& context,
                                    const caller_identity& caller, audit_note& note) {
  const auto started = clock::now();
  note.request_data = {{"memory_id", std::string(context.path_param("memory_id"))}};
  const auto memory_id = known_memory_id(context.path_param("memory_id"));
  co_return co_await run_read(state, context, caller, note, queue::operation::get,
                              memory_id_payload(memory_id), started,
                              [](const json::value& result, const http::request_context& call) {
                                bool truncated = false;
                                auto memory = fitted_memory(result, truncated);
                                return json::object{{"status", "success"},
                                                    {"request_id", call.request_id},
                                                    {"memory", std::move(memory)},
                                                    {"truncated", truncated}};
                              });
}

asio::awaitable<http::response> update(const state_ptr& state, http::request_context& context,
                                       const caller_identity& caller, audit_note& note) {
  const auto body = json_body(context);
  const auto request = valid_or_refuse(parse_update_request(context.path_param("memory_id"), body));
  note.request_data = {{"memory_id", request.memory_id},
                       {"content_prefix", shorten(request.content, audit_prefix_chars)},
                       {"content_chars", count_code_points(request.content)}};
  known_memory_id(request.memory_id);
  co_await enqueue_accepted(
      *state, context, caller, note,
      new_job(*state, context, caller, queue::operation::update, to_job_payload(request)));
  co_return co_await answer_accepted(
      state, context, queue::operation::update, context.request_id,
      "Accepted: the memory is being changed. Call getJob with this request_id to confirm.",
      "accepted");
}

asio::awaitable<http::response> remove(const state_ptr& state, http::request_context& context,
                                       const caller_identity& caller, audit_note& note) {
  note.request_data = {{"memory_id", std::string(context.path_param("memory_id"))}};
  const auto memory_id = known_memory_id(context.path_param("memory_id"));
  co_await enqueue_accepted(
      *state, context, caller, note,
      new_job(*state, context, caller, queue::operation::remove, memory_id_payload(memory_id)));
  co_return co_await answer_accepted(
      state, context, queue::operation::remove, context.request_id,
      "Accepted: the memory is being deleted. Call getJob with this request_id to confirm.",
      "accepted");
}

asio::awaitable<http::response> history(const state_ptr& state, http::request_context& context,
                                        const caller_identity& caller, audit_note& note) {
  const auto started = clock::now();
  note.request_data = {{"memory_id", std::string(context.path_param("memory_id"))}};
  const auto memory_id = known_memory_id(context.path_param("memory_id"));
  // Named, not temporaries in the co_await's arguments, which GCC 12 destroys twice.
  auto payload = memory_id_payload(memory_id);
  result_shaper shape = [memory_id](const json::value& result, const http::request_context& call) {
    auto fitted = fit_results(result_array(result));
    return json::object{{"status", "success"},
                        {"request_id", call.request_id},
                        {"memory_id", memory_id},
                        {"history", std::move(fitted.results)},
                        {"truncated", fitted.truncated}};
  };
  co_return co_await run_read(state, context, caller, note, queue::operation::history,
                              std::move(payload), started, std::move(shape));
}

// Forget me: every memory of the caller's end user (or of the application, for an API key).
asio::awaitable<http::response> forget(const state_ptr& state, http::request_context& context,
                                       const caller_identity& caller, audit_note& note) {
  note.request_data = {{"scope", caller.end_user_id ? "end_user" : "application"}};
  co_await enqueue_accepted(
      *state, context, caller, note,
      new_job(*state, context, caller, queue::operation::forget, json::object{}));
  co_return co_await answer_accepted(
      state, context, queue::operation::forget, context.request_id,
      "Accepted: every memory of this user is being deleted. Call getJob with this request_id "
      "to confirm.",
      "accepted");
}

// What a caller may learn of a job that did not succeed: no Memory Bank internals.
std::string public_error(const queue::job_record& record) {
  if (record.status == queue::job_status::failed) {
    return "not_found: no such memory for this user";
  }
  if (record.memory_bank_status && *record.memory_bank_status >= 400 &&
      *record.memory_bank_status < 500) {
    return "rejected: the memory service refused the request";
  }
  return "unavailable: the memory service could not complete the request";
}

json::object job_body(std::string_view request_id, const queue::job_record& record) {
  json::object body{{"request_id", request_id},
                    {"operation", queue::to_string(record.op)},
                    {"status", queue::to_string(record.status)},
                    {"attempts", record.attempts},
                    {"created_at", queue::format_timestamp(record.created_at)}};
  if (record.completed_at) {
    body["completed_at"] = queue::format_timestamp(*record.completed_at);
  }
  if (record.status == queue::job_status::succeeded) {
    const auto result = parsed_result(record);
    bool truncated = false;
    if (record.op == queue::operation::list) {
      const auto& page = result_object(result);
      auto fitted = fit_results(result_array(page.at("memories")));
      truncated = fitted.truncated;
      body["result"] = std::move(fitted.results);
    } else if (result.is_array()) {
      auto fitted = fit_results(result.as_array());
      truncated = fitted.truncated;
      body["result"] = std::move(fitted.results);
    } else if (result.is_object() && result.as_object().contains("content")) {
      body["result"] = fitted_memory(result, truncated);
    } else {
      body["result"] = result;
    }
    body["truncated"] = truncated;
  } else if (record.status == queue::job_status::failed ||
             record.status == queue::job_status::dead) {
    body["error"] = public_error(record);
  }
  return body;
}

asio::awaitable<http::response> job_status(const state_ptr& state, http::request_context& context,
                                           const caller_identity& caller, audit_note& note) {
  const auto request_id = context.path_param("request_id");
  note.request_data = {{"job_request_id", request_id}};
  if (!http::is_acceptable_request_id(request_id)) {
    refuse(bhttp::status::not_found, "No such request for this caller.");
  }
  queue::job_queue jobs(*state->dependencies.redis, state->dependencies.settings.record_ttl);
  const auto record = co_await jobs.read_record(request_id);
  // Another caller's job is answered exactly like one that does not exist.
  if (!record || record->application_id != caller.application_id ||
      record->end_user_id != caller.end_user_id) {
    refuse(bhttp::status::not_found, "No such request for this caller.");
  }
  note.memory_bank_request_id = record->memory_bank_request_id;
  co_return json_response(bhttp::status::ok, context, job_body(request_id, *record));
}

int status_of(const http::response& answer) {
  return static_cast<int>(answer.result_int());
}

// Runs a handler and records its audit event, whatever the outcome: Redis failures become 503
// (the queue is unreachable), anything unexpected a 500 that the server kit answers.
request_auth::protected_handler audited(state_ptr state, std::string operation_type,
                                        memory_handler handle) {
  return [state = std::move(state), operation_type = std::move(operation_type),
          handle = std::move(handle)](
             http::request_context& context,
             const caller_identity& caller) -> asio::awaitable<http::response> {
    audit_note note{.operation_type = operation_type, .started = clock::now()};
    int status = 500;
    std::exception_ptr failure;
    std::optional<http::response> answer;
    try {
      answer = co_await handle(state, context, caller, note);
      status = status_of(*answer);
    } catch (const http::problem_error& refused) {
      status = static_cast<int>(refused.details().status);
      failure = std::current_exception();
    } catch (const redis::error& unreachable) {
      logging::warn("memory endpoint could not reach Redis",
                    {{"request_id", context.request_id}, {"error", unreachable.what()}});
      status = 503;
      try {
        refuse(bhttp::status::service_unavailable,
               "The request queue is unavailable right now; try again shortly.",
               {{"Retry-After", "1"}});
      } catch (...) {
        failure = std::current_exception();
      }
    } catch (...) {
      failure = std::current_exception();
    }
    if (!note.recorded) {
      auto event = audit_event(context, caller, note, std::move(note.request_data), status);
      co_await state->dependencies.audit->record(std::move(event));
    }
    if (failure) {
      std::rethrow_exception(failure);
    }
    co_return std::move(*answer);
  };
}

}  // namespace

void add_memory_routes(request_auth::request_authorization& authorization, http::router& routes,
                       memory_route_dependencies dependencies) {
  const auto state = std::make_shared<route_state>(std::move(dependencies));
  const auto add = [&](std::string_view operation_id, std::string operation_type,
                       memory_handler handle) {
    const auto& doc = api_operation(operation_id);
    authorization.add(
        routes,
        {.method = doc.method,
         .pattern = doc.path,
         .required_scope = doc.required_scope ? std::optional<std::string_view>(*doc.required_scope)
                                              : std::nullopt,
         .handle = audited(state, std::move(operation_type), std::move(handle))});
  };
  add(operation_ids::search, "search", search);
  add(operation_ids::create, "create", create);
  add(operation_ids::list, "list", list);
  add(operation_ids::get, "get", get);
  add(operation_ids::update, "update", update);
  add(operation_ids::remove, "delete", remove);
  add(operation_ids::history, "history", history);
  add(operation_ids::forget, "forget", forget);
  add(operation_ids::job, "job_status", job_status);
}

}  // namespace gpt_adapter::api::memory
