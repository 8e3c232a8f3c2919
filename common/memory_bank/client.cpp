#include "common/memory_bank/client.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/logging/logger.hpp"
#include "common/memory_bank/memory_tags.hpp"

namespace gpt_adapter::memory_bank {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using kind = call_result::kind;

constexpr std::size_t max_error_detail = 200;
// Forgetting memory by memory lists this many at a time (the Platform's page size limit).
constexpr int forget_page_size = max_page_size;
// Bounds forgetting memory by memory: 1,000 pages of 200.
constexpr int forget_max_pages = 1000;

// One breaker per Memory Bank origin in the process: every client of that host shares what
// it learns. The first client's settings win; entries go away with the last client.
std::shared_ptr<circuit_breaker> shared_breaker(const std::string& origin,
                                                const breaker_settings& settings) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<circuit_breaker>> breakers;
  std::lock_guard lock(mutex);
  std::erase_if(breakers, [](const auto& entry) { return entry.second.expired(); });
  if (auto existing = breakers[origin].lock()) {
    return existing;
  }
  auto created = std::make_shared<circuit_breaker>(settings);
  breakers[origin] = created;
  return created;
}

std::string_view scheme_name(auth_scheme scheme) {
  switch (scheme) {
    case auth_scheme::token:
      return "token";
    case auth_scheme::x_api_key:
      return "x-api-key";
    case auth_scheme::bearer:
      return "bearer";
  }
  return "unknown";
}

std::optional<milliseconds> retry_after_header(const boost::beast::http::fields& headers) {
  const auto value = headers[boost::beast::http::field::retry_after];
  long long seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;
  }
  return milliseconds(std::min<long long>(seconds, 3600) * 1000);
}

std::string memory_bank_request_id(const boost::beast::http::fields& headers) {
  for (const std::string_view name : {"request-id", "x-request-id"}) {
    if (const auto value = headers[name]; !value.empty()) {
      return std::string(value.substr(0, 128));
    }
  }
  return {};
}

json::value parsed_or_null(const std::string& body) {
  boost::system::error_code error;
  auto value = json::parse(body, error);
  return error ? json::value(nullptr) : value;
}

// What the Memory Bank said about a refused call: mem0's {"detail": ...} or {"error": ...}, or
// a short excerpt.
std::string answer_detail(const std::string& body, const json::value& parsed) {
  std::string detail;
  if (parsed.is_object()) {
    for (const std::string_view name : {"detail", "error"}) {
      if (const auto* text = parsed.as_object().if_contains(name); text && text->is_string()) {
        detail = std::string(text->as_string());
        break;
      } else if (text != nullptr) {
        detail = json::serialize(*text);
        break;
      }
    }
  }
  if (detail.empty()) {
    detail = body;
  }
  if (detail.size() > max_error_detail) {
    detail.resize(max_error_detail);
    detail += "...";
  }
  return detail;
}

json::object memory_json(const memory& found) {
  json::object object{{"memory_id", found.memory_id},
                      {"content", found.content},
                      {"metadata", without_tags(found.metadata)}};
  if (found.relevance_score) {
    object["relevance_score"] = *found.relevance_score;
  }
  if (found.created_at) {
    object["created_at"] = *found.created_at;
  }
  if (found.updated_at) {
    object["updated_at"] = *found.updated_at;
  }
  return object;
}

json::array changes_json(const std::vector<memory_change>& changes) {
  json::array items;
  for (const auto& change : changes) {
    json::object item{{"memory_id", change.memory_id},
                      {"content", change.content},
                      {"event", to_string(change.event)}};
    if (change.previous_content) {
      item["previous_content"] = *change.previous_content;
    }
    items.push_back(std::move(item));
  }
  return items;
}

json::value optional_json(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

json::array history_json(const std::vector<history_entry>& entries) {
  json::array items;
  for (const auto& entry : entries) {
    items.push_back(json::object{{"event", to_string(entry.event)},
                                 {"old_content", optional_json(entry.old_content)},
                                 {"new_content", optional_json(entry.new_content)},
                                 {"created_at", optional_json(entry.created_at)},
                                 {"updated_at", optional_json(entry.updated_at)}});
  }
  return items;
}

// Caller metadata never carries entity ids (which would move a memory to another namespace)
// or the adapter's tags.
json::object caller_metadata(const json::object& metadata) {
  json::object kept;
  for (const auto& [key, value] : metadata) {
    if (key != "user_id" && key != "agent_id" && key != "run_id" && key != "app_id" &&
        key != "actor_id" && !is_tag(key)) {
      kept.emplace(key, value);
    }
  }
  return kept;
}

bool owned_by(const memory& found, const owner& who) {
  return found.user_id == who.user_id;
}

call_result rejected(std::string message) {
  return call_result{.outcome = kind::rejected, .error = std::move(message)};
}

call_result not_found(std::string_view memory_id) {
  return call_result{.outcome = kind::not_found,
                     .http_status = 404,
                     .result = nullptr,
                     .error = "memory " + std::string(memory_id) + " not found"};
}

// The answer of `from` could not be read: nothing repeating the call would change.
call_result unreadable(call_result from, const error& problem) {
  from.outcome = kind::rejected;
  from.error = "unexpected answer from the Memory Bank: " + problem.message;
  from.result = nullptr;
  return from;
}

// Keeps the Memory Bank's request id and the count of calls of `earlier` in `later`.
call_result after(const call_result& earlier, call_result later) {
  later.attempts += earlier.attempts;
  if (later.memory_bank_request_id.empty()) {
    later.memory_bank_request_id = earlier.memory_bank_request_id;
  }
  return later;
}

}  // namespace

struct client::call_options {
  bool idempotent = false;  // may be retried within the call
  std::optional<milliseconds> timeout;
  // An answer with this status is an ordinary refusal the caller handles, not a credentials
  // failure (a per-user key refused a bulk delete).
  std::optional<int> tolerated_status;
};

std::string_view to_string(call_result::kind outcome) {
  switch (outcome) {
    case kind::ok:
      return "ok";
    case kind::not_found:
      return "not_found";
    case kind::rejected:
      return "rejected";
    case kind::transient:
      return "transient";
    case kind::circuit_open:
      return "circuit_open";
    case kind::unauthorized:
      return "unauthorized";
    case kind::in_progress:
      return "in_progress";
  }
  return "unknown";
}

client_settings read_client_settings(const config::env_reader& env, bool dev_mode) {
  client_settings settings;
  const auto url = env.optional_string("MEMORY_BANK_API_URL");
  if (!url && !dev_mode) {
    throw config::config_error(
        "MEMORY_BANK_API_URL is required: the base URL of the mem0 Platform "
        "(https://api.mem0.ai) or of a mem0 open-source server (it replaces MEMORY_BANK_URL)");
  }
  settings.url = url.value_or(std::string(dev_memory_bank_url));
  if (auto parsed = http::parse_origin_url(settings.url); !parsed) {
    throw config::config_error("MEMORY_BANK_API_URL=\"" + settings.url +
                               "\" is invalid: " + parsed.error());
  }
  if (const auto named = env.optional_string("MEMORY_BANK_DIALECT")) {
    if (auto reason = retired_dialect_reason(*named)) {
      throw config::config_error("MEMORY_BANK_DIALECT=" + *named +
                                 " is no longer supported: " + *reason);
    }
  }
  settings.shape = *parse_dialect(
      env.one_of_or("MEMORY_BANK_DIALECT", "mem0-oss", {"mem0-platform", "mem0-oss"}));
  settings.api_key = env.string_or("MEMORY_BANK_API_KEY", "");
  const auto scheme = env.one_of_or(
      "MEMORY_BANK_AUTH_SCHEME", settings.shape == dialect::mem0_platform ? "token" : "x-api-key",
      {"token", "x-api-key", "bearer"});
  settings.scheme = scheme == "token"       ? auth_scheme::token
                    : scheme == "x-api-key" ? auth_scheme::x_api_key
                                            : auth_scheme::bearer;
  settings.transport.connect_timeout = env.millis_or(
      "MEMORY_BANK_CONNECT_TIMEOUT_MS", milliseconds{2000}, milliseconds{10}, milliseconds{60000});
  settings.transport.request_timeout =
      env.millis_or("MEMORY_BANK_REQUEST_TIMEOUT_MS", milliseconds{10000}, milliseconds{10},
                    milliseconds{600000});
  settings.add_timeout = env.millis_or("MEMORY_BANK_ADD_TIMEOUT_MS", settings.add_timeout,
                                       milliseconds{10}, milliseconds{3600000});
  settings.event_poll_delay = env.millis_or("MEMORY_BANK_EVENT_POLL_MS", settings.event_poll_delay,
                                            milliseconds{10}, milliseconds{60000});
  settings.event_poll_max_delay =
      env.millis_or("MEMORY_BANK_EVENT_POLL_MAX_MS", settings.event_poll_max_delay,
                    milliseconds{10}, milliseconds{600000});
  if (settings.event_poll_max_delay < settings.event_poll_delay) {
    throw config::config_error(
        "MEMORY_BANK_EVENT_POLL_MAX_MS must be at least MEMORY_BANK_EVENT_POLL_MS (" +
        std::to_string(settings.event_poll_delay.count()) + ")");
  }
  settings.transport.max_connections =
      static_cast<std::size_t>(env.integer_or("MEMORY_BANK_MAX_CONNECTIONS", 16, 1, 1024));
  settings.transport.ca_file = env.optional_string("MEMORY_BANK_CA_FILE");
  settings.read_retries = static_cast<int>(env.integer_or("MEMORY_BANK_READ_RETRIES", 2, 0, 5));
  settings.read_retry_delay = env.millis_or("MEMORY_BANK_READ_RETRY_DELAY_MS", milliseconds{100},
                                            milliseconds{0}, milliseconds{5000});
  settings.breaker.consecutive_failures =
      static_cast<int>(env.integer_or("MEMORY_BANK_BREAKER_FAILURES", 5, 1, 1000));
  settings.breaker.failure_rate =
      static_cast<double>(env.integer_or("MEMORY_BANK_BREAKER_FAILURE_RATE_PERCENT", 50, 1, 100)) /
      100.0;
  settings.breaker.minimum_calls =
      static_cast<int>(env.integer_or("MEMORY_BANK_BREAKER_MIN_CALLS", 20, 1, 100000));
  settings.breaker.window = env.millis_or("MEMORY_BANK_BREAKER_WINDOW_MS", milliseconds{60000},
                                          milliseconds{100}, milliseconds{3600000});
  settings.breaker.open_duration = env.millis_or("MEMORY_BANK_BREAKER_OPEN_MS", milliseconds{60000},
                                                 milliseconds{10}, milliseconds{3600000});
  return settings;
}

struct client::metric_handles {
  metrics::family<metrics::counter>& requests;
  metrics::family<metrics::histogram>& duration;
  metrics::family<metrics::counter>& auth_failures;
};

std::shared_ptr<client> client::create(net::any_io_executor executor, client_settings settings,
                                       metrics::registry& metrics) {
  auto target = http::parse_origin_url(settings.url);
  if (!target) {
    throw config::config_error("MEMORY_BANK_API_URL=\"" + settings.url +
                               "\" is invalid: " + target.error());
  }
  std::shared_ptr<http::outbound_client> transport;
  try {
    transport =
        http::outbound_client::create(std::move(executor), target.value(), settings.transport);
  } catch (const std::runtime_error& failure) {
    throw config::config_error(std::string("MEMORY_BANK_CA_FILE: ") + failure.what());
  }
  auto breaker = shared_breaker(target->origin(), settings.breaker);
  auto created = std::shared_ptr<client>(
      new client(std::move(settings), std::move(transport), breaker, metrics));

  auto& state = metrics.add_gauge(
      "gpt_adapter_memory_bank_circuit_state",
      "Memory Bank circuit breaker: 0 closed, 1 half-open (one trial call), 2 open.");
  auto& openings = metrics.add_counter("gpt_adapter_memory_bank_circuit_openings_total",
                                       "Times the Memory Bank circuit breaker has opened.");
  auto& refused = metrics.add_gauge(
      "gpt_adapter_memory_bank_credentials_refused",
      "1 while the Memory Bank's last answer refused the adapter's credentials (401 or 403).");
  metrics.add_collector([weak_breaker = std::weak_ptr<circuit_breaker>(breaker),
                         weak_client = std::weak_ptr<client>(created), &state, &openings,
                         &refused] {
    if (const auto current = weak_breaker.lock()) {
      const auto now = current->state();
      state.get().set(now == circuit_state::closed      ? 0.0
                      : now == circuit_state::half_open ? 1.0
                                                        : 2.0);
      // The breaker counts its openings; the counter follows that count.
      auto& opened = openings.get();
      const auto missing = static_cast<double>(current->openings()) - opened.value();
      if (missing > 0) {
        opened.inc(missing);
      }
    }
    if (const auto self = weak_client.lock()) {
      refused.get().set(self->credentials_refused() ? 1.0 : 0.0);
    }
  });
  return created;
}

client::client(client_settings settings, std::shared_ptr<http::outbound_client> transport,
               std::shared_ptr<circuit_breaker> breaker, metrics::registry& metrics)
    : settings_(std::move(settings)),
      api_(make_mem0_api(settings_.shape)),
      transport_(std::move(transport)),
      breaker_(std::move(breaker)),
      metrics_(std::make_unique<metric_handles>(metric_handles{
          metrics.add_counter("gpt_adapter_memory_bank_requests_total",
                              "Memory Bank HTTP calls by step and status (HTTP status, or "
                              "connect, timeout, io, protocol, stopped, circuit_open).",
                              {"operation", "status"}),
          metrics.add_histogram("gpt_adapter_memory_bank_request_duration_seconds",
                                "Memory Bank HTTP call duration by step.", {"operation"}),
          metrics.add_counter("gpt_adapter_memory_bank_auth_failures_total",
                              "Memory Bank answers that refused the adapter's credentials (401 or "
                              "403), by step: check MEMORY_BANK_API_KEY and "
                              "MEMORY_BANK_AUTH_SCHEME.",
                              {"operation"})})) {}

client::~client() = default;

circuit_state client::breaker_state() const {
  return breaker_->state();
}

std::chrono::milliseconds client::time_until_trial() const {
  return breaker_->time_until_trial();
}

bool client::credentials_refused() const {
  return credentials_refused_.load();
}

http::dependency_check client::readiness_check() {
  return {"memory_bank", [weak = weak_from_this()](milliseconds) -> net::awaitable<bool> {
            const auto self = weak.lock();
            co_return self && self->breaker_state() != circuit_state::open &&
                !self->credentials_refused();
          }};
}

void client::stop() {
  transport_->stop();
}

// Logs once when the Memory Bank starts refusing the credentials and once when it accepts them
// again, so an operator sees the cause of a total outage without a line per call.
void client::note_credentials(int status) {
  const bool refused = status == 401 || status == 403;
  if (credentials_refused_.exchange(refused) == refused) {
    return;
  }
  if (refused) {
    logging::error(
        "memory bank refuses the adapter's credentials: every call fails until they are fixed",
        {{"memory_bank", transport_->target().origin()},
         {"dialect", std::string(to_string(settings_.shape))},
         {"auth_scheme", std::string(scheme_name(settings_.scheme))},
         {"status", status},
         {"api_key_set", !settings_.api_key.empty()},
         {"hint",
          "check MEMORY_BANK_API_KEY and MEMORY_BANK_AUTH_SCHEME: the mem0 open-source server "
          "takes X-API-Key, the mem0 Platform Authorization: Token"}});
  } else {
    logging::info("memory bank accepts the adapter's credentials again",
                  {{"memory_bank", transport_->target().origin()}});
  }
}

net::awaitable<call_result> client::call_once(std::string_view step, const http_request& request,
                                              std::string_view request_id,
                                              const call_options& options) {
  const std::string op(step);
  const auto permit = breaker_->acquire();
  if (!permit.allowed) {
    metrics_->requests.labels({op, "circuit_open"}).inc();
    co_return call_result{.outcome = kind::circuit_open,
                          .error = "the Memory Bank circuit breaker is open",
                          .retry_after = permit.retry_after};
  }
  http::outbound_request outbound{
      .method = request.method, .target = request.target, .timeout = options.timeout};
  outbound.headers.emplace_back("Accept", "application/json");
  if (!request_id.empty()) {
    outbound.headers.emplace_back("X-Request-ID", std::string(request_id));
  }
  if (!settings_.api_key.empty()) {
    switch (settings_.scheme) {
      case auth_scheme::x_api_key:
        outbound.headers.emplace_back("X-API-Key", settings_.api_key);
        break;
      case auth_scheme::token:
        outbound.headers.emplace_back("Authorization", "Token " + settings_.api_key);
        break;
      case auth_scheme::bearer:
        outbound.headers.emplace_back("Authorization", "Bearer " + settings_.api_key);
        break;
    }
  }
  if (request.body) {
    outbound.body = json::serialize(*request.body);
    outbound.content_type = "application/json";
  }

  const auto openings_before = breaker_->openings();
  const auto started = std::chrono::steady_clock::now();
  auto sent = co_await transport_->send(std::move(outbound));
  metrics_->duration.labels({op}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  call_result result;
  if (!sent) {
    breaker_->record_failure(permit);
    metrics_->requests.labels({op, std::string(http::to_string(sent.error().kind))}).inc();
    result.outcome = kind::transient;
    result.error = sent.error().message;
  } else {
    const auto& answer = sent.value();
    const int status = answer.status;
    metrics_->requests.labels({op, std::to_string(status)}).inc();
    result.http_status = status;
    result.memory_bank_request_id = memory_bank_request_id(answer.headers);
    const auto body = parsed_or_null(answer.body);
    const bool tolerated = options.tolerated_status == status;
    const bool credentials = !tolerated && (status == 401 || status == 403);
    const bool permanent = status >= 500 && api_->is_permanent_failure(status, body);
    // A 4xx other than a credentials refusal means the host is up and answering (429 is its
    // own backpressure, honoured through retry_after); a refused key is an outage.
    if (status >= 500 || credentials) {
      breaker_->record_failure(permit);
    } else {
      breaker_->record_success(permit);
    }
    if (!tolerated) {
      note_credentials(status);
    }
    const auto refusal = [&] {
      return "the Memory Bank answered " + std::to_string(status) + ": " +
             answer_detail(answer.body, body);
    };
    if (status >= 200 && status < 300) {
      boost::system::error_code error;
      result.result = answer.body.empty() ? json::value(nullptr) : json::parse(answer.body, error);
      if (error) {
        result.outcome = kind::rejected;
        result.result = nullptr;
        result.error =
            "the Memory Bank answered " + std::to_string(status) + " with a body that is not JSON";
      } else {
        result.outcome = kind::ok;
      }
    } else if (credentials) {
      metrics_->auth_failures.labels({op}).inc();
      result.outcome = kind::unauthorized;
      result.error = refusal();
    } else if (status == 404) {
      result.outcome = kind::not_found;
      result.error = refusal();
    } else if (permanent) {
      result.outcome = kind::rejected;
      result.error = refusal();
    } else if (status == 408 || status == 429 || status >= 500) {
      result.outcome = kind::transient;
      result.retry_after = retry_after_header(answer.headers);
      result.error = refusal();
    } else {
      result.outcome = kind::rejected;
      result.error = refusal();
    }
  }
  if (breaker_->openings() != openings_before) {
    logging::warn("memory bank circuit opened",
                  {{"memory_bank", transport_->target().origin()},
                   {"operation", op},
                   {"request_id", std::string(request_id)},
                   {"error", result.error},
                   {"trial_in_ms", breaker_->time_until_trial().count()}});
  } else if (permit.trial && breaker_->state() == circuit_state::closed) {
    logging::info("memory bank circuit closed", {{"memory_bank", transport_->target().origin()}});
  }
  co_return result;
}

net::awaitable<call_result> client::call(std::string_view step, const http_request& request,
                                         std::string_view request_id, const call_options& options) {
  const int allowed = options.idempotent ? 1 + settings_.read_retries : 1;
  auto delay = settings_.read_retry_delay;
  call_result result;
  for (int attempt = 1;; ++attempt) {
    result = co_await call_once(step, request, request_id, options);
    result.attempts = attempt;
    // A Retry-After longer than the short in-client backoff is the caller's to honour.
    if (result.outcome != kind::transient || attempt >= allowed ||
        (result.retry_after && *result.retry_after > delay)) {
      break;
    }
    net::steady_timer pause(co_await net::this_coro::executor, delay);
    co_await pause.async_wait(net::as_tuple(net::use_awaitable));
    delay *= 2;
  }
  co_return result;
}

net::awaitable<call_result> client::search(const owner& who, const search_input& input,
                                           const attempt_context& context) {
  if (input.query.empty()) {
    co_return rejected("query must not be empty");
  }
  if (input.limit < 1 || input.limit > max_search_limit) {
    co_return rejected("limit must be between 1 and " + std::to_string(max_search_limit));
  }
  auto result =
      co_await call("search", api_->search(who, input), context.request_id, {.idempotent = true});
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto found = api_->read_memories(result.result);
  if (!found) {
    co_return unreadable(std::move(result), found.error());
  }
  json::array items;
  for (const auto& one : found.value()) {
    // Whatever the Memory Bank returns, nothing of another namespace and nothing the filter
    // excludes goes back.
    if (owned_by(one, who) && matches(one, input.filter) &&
        items.size() < static_cast<std::size_t>(input.limit)) {
      items.push_back(memory_json(one));
    }
  }
  result.result = std::move(items);
  co_return result;
}

net::awaitable<call_result> client::poll_event(const attempt_context& context) {
  const auto request = api_->event(*context.event_id);
  if (!request) {
    co_return rejected("the job waits for a Memory Bank event, but " +
                       std::string(to_string(settings_.shape)) + " has no events");
  }
  auto result = co_await call("event", *request, context.request_id, {.idempotent = true});
  if (result.outcome == kind::not_found) {
    // The event is gone: the next attempt looks for what the add stored before adding again.
    result.outcome = kind::transient;
    result.error = "the Memory Bank no longer knows event " + *context.event_id;
    co_return result;
  }
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto event = api_->read_event(result.result);
  if (!event) {
    co_return unreadable(std::move(result), event.error());
  }
  switch (event->status) {
    case event_answer::state::processing:
      result.outcome = kind::in_progress;
      result.event_id = context.event_id;
      result.result = nullptr;
      co_return result;
    case event_answer::state::failed:
      result.outcome = kind::transient;
      result.error = "the Memory Bank's event failed: " + event->error;
      result.result = nullptr;
      co_return result;
    case event_answer::state::succeeded:
      break;
  }
  result.result = changes_json(event->changes);
  co_return result;
}

net::awaitable<call_result> client::find_created(const owner& who, const create_input& input,
                                                 const attempt_context& context) {
  auto result =
      co_await call("find_created", api_->find_created(who, context.request_id, input.content),
                    context.request_id, {.idempotent = true});
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto found = api_->read_memories(result.result);
  if (!found) {
    co_return unreadable(std::move(result), found.error());
  }
  std::vector<memory_change> landed;
  for (const auto& one : found.value()) {
    const auto* tag = one.metadata.if_contains(request_tag);
    if (owned_by(one, who) && tag != nullptr && tag->is_string() &&
        tag->as_string() == context.request_id) {
      landed.push_back(memory_change{.memory_id = one.memory_id, .content = one.content});
    }
  }
  result.result = landed.empty() ? json::value(nullptr) : json::value(changes_json(landed));
  co_return result;
}

net::awaitable<call_result> client::create(const owner& who, const create_input& input,
                                           const attempt_context& context) {
  if (input.content.empty()) {
    co_return rejected("content must not be empty");
  }
  if (context.event_id) {
    co_return co_await poll_event(context);
  }
  // A create retried after a timeout or a crash may have been stored already: mem0 cannot
  // deduplicate a rewritten fact, so look for the memories tagged with this request first.
  call_result lookup;
  if (context.earlier_attempt_ran) {
    lookup = co_await find_created(who, input, context);
    if (lookup.outcome != kind::ok || !lookup.result.is_null()) {
      if (lookup.outcome == kind::ok) {
        logging::info("create found what an earlier attempt stored; not adding again",
                      {{"request_id", context.request_id}});
      }
      co_return lookup;
    }
  }
  auto metadata = caller_metadata(input.metadata);
  for (auto& [key, value] : creation_tags(context, input.categories)) {
    metadata[key] = value;
  }
  auto result = co_await call("add", api_->add(who, input, metadata), context.request_id,
                              {.timeout = settings_.add_timeout});
  result = after(lookup, std::move(result));
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto added = api_->read_add(result.result);
  if (!added) {
    co_return unreadable(std::move(result), added.error());
  }
  if (added->event_id) {
    result.outcome = kind::in_progress;
    result.event_id = added->event_id;
    result.result = nullptr;
    co_return result;
  }
  result.result = changes_json(added->changes);
  co_return result;
}

net::awaitable<client::owned_read> client::read_owned(const owner& who, std::string_view memory_id,
                                                      const attempt_context& context) {
  if (!is_memory_id(memory_id)) {
    co_return owned_read{not_found(memory_id)};
  }
  auto result =
      co_await call("get", api_->get(memory_id), context.request_id, {.idempotent = true});
  if (result.outcome == kind::not_found) {
    co_return owned_read{after(result, not_found(memory_id))};
  }
  if (result.outcome != kind::ok) {
    co_return owned_read{std::move(result)};
  }
  auto found = api_->read_memory(result.result);
  if (!found) {
    co_return owned_read{unreadable(std::move(result), found.error())};
  }
  // Another user's memory is answered exactly like a missing one.
  if (!found.value() || !owned_by(*found.value(), who)) {
    co_return owned_read{after(result, not_found(memory_id))};
  }
  result.result = memory_json(*found.value());
  co_return owned_read{std::move(result), std::move(found).value()};
}

net::awaitable<call_result> client::get(const owner& who, const get_input& input,
                                        const attempt_context& context) {
  auto owned = co_await read_owned(who, input.memory_id, context);
  co_return std::move(owned.call);
}

net::awaitable<call_result> client::list(const owner& who, const list_input& input,
                                         const attempt_context& context) {
  if (input.page < 1) {
    co_return rejected("page must be at least 1");
  }
  if (input.page_size < 1 || input.page_size > max_page_size) {
    co_return rejected("page_size must be between 1 and " + std::to_string(max_page_size));
  }
  auto result =
      co_await call("list", api_->list(who, input), context.request_id, {.idempotent = true});
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto page = api_->read_page(result.result, input);
  if (!page) {
    co_return unreadable(std::move(result), page.error());
  }
  json::array items;
  for (const auto& one : page->memories) {
    if (owned_by(one, who)) {
      items.push_back(memory_json(one));
    }
  }
  result.result = json::object{
      {"memories", std::move(items)}, {"has_more", page->has_more}, {"capped", page->capped}};
  co_return result;
}

net::awaitable<call_result> client::update(const owner& who, const update_input& input,
                                           const attempt_context& context) {
  if (input.content.empty()) {
    co_return rejected("content must not be empty");
  }
  auto owned = co_await read_owned(who, input.memory_id, context);
  if (!owned.found) {
    co_return owned.call;
  }
  // The memory keeps what it had (its tags included) and takes the caller's new keys: the same
  // outcome whether the backend merges metadata (the open-source server) or replaces it.
  auto merged = owned.found->metadata;
  for (auto& [key, value] : caller_metadata(input.metadata)) {
    merged[key] = value;
  }
  auto result = co_await call("update", api_->update(input.memory_id, input.content, merged),
                              context.request_id, {});
  result = after(owned.call, std::move(result));
  if (result.outcome == kind::not_found) {
    co_return after(result, not_found(input.memory_id));
  }
  if (result.outcome != kind::ok) {
    co_return result;
  }
  // The open-source server answers an update with a message only: read the memory back.
  auto reread = co_await read_owned(who, input.memory_id, context);
  co_return after(result, std::move(reread.call));
}

net::awaitable<call_result> client::remove(const owner& who, const delete_input& input,
                                           const attempt_context& context) {
  auto owned = co_await read_owned(who, input.memory_id, context);
  if (!owned.found) {
    co_return owned.call;
  }
  auto result = co_await call("delete", api_->remove(input.memory_id), context.request_id, {});
  result = after(owned.call, std::move(result));
  if (result.outcome == kind::not_found) {
    co_return after(result, not_found(input.memory_id));
  }
  if (result.outcome == kind::ok) {
    result.result = json::object{{"deleted", true}, {"memory_id", input.memory_id}};
  }
  co_return result;
}

net::awaitable<call_result> client::history(const owner& who, const history_input& input,
                                            const attempt_context& context) {
  auto owned = co_await read_owned(who, input.memory_id, context);
  if (!owned.found) {
    co_return owned.call;
  }
  auto result = co_await call("history", api_->history(input.memory_id), context.request_id,
                              {.idempotent = true});
  result = after(owned.call, std::move(result));
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto entries = api_->read_history(result.result);
  if (!entries) {
    co_return unreadable(std::move(result), entries.error());
  }
  result.result = history_json(entries.value());
  co_return result;
}

net::awaitable<call_result> client::delete_each(const owner& who, const attempt_context& context) {
  call_result total{.outcome = kind::ok};
  std::int64_t deleted = 0;
  for (int round = 0; round < forget_max_pages; ++round) {
    auto listed = co_await call("list", api_->list(who, {.page = 1, .page_size = forget_page_size}),
                                context.request_id, {.idempotent = true});
    total = after(total, listed);
    if (listed.outcome != kind::ok) {
      co_return after(total, std::move(listed));
    }
    auto page = api_->read_page(listed.result, {.page = 1, .page_size = forget_page_size});
    if (!page) {
      co_return unreadable(std::move(listed), page.error());
    }
    std::int64_t deleted_now = 0;
    for (const auto& one : page->memories) {
      if (!owned_by(one, who) || !is_memory_id(one.memory_id)) {
        continue;
      }
      auto removed = co_await call("delete", api_->remove(one.memory_id), context.request_id, {});
      total.attempts += removed.attempts;
      if (removed.outcome == kind::ok) {
        ++deleted_now;
      } else if (removed.outcome != kind::not_found) {
        // What was deleted stays deleted: the next attempt deletes the rest.
        co_return removed;
      }
    }
    deleted += deleted_now;
    if (deleted_now == 0) {
      total.result = json::object{{"forgotten", true}, {"deleted", deleted}};
      co_return total;
    }
  }
  total.outcome = kind::transient;
  total.error = "the owner still has memories after " + std::to_string(forget_max_pages) +
                " pages were deleted";
  co_return total;
}

net::awaitable<call_result> client::forget(const owner& who, const attempt_context& context) {
  if (context.event_id) {
    // The bulk delete runs in the background: it is done when nothing of the owner is left.
    auto listed = co_await call("list", api_->list(who, {.page = 1, .page_size = 1}),
                                context.request_id, {.idempotent = true});
    if (listed.outcome != kind::ok) {
      co_return listed;
    }
    auto page = api_->read_page(listed.result, {.page = 1, .page_size = 1});
    if (!page) {
      co_return unreadable(std::move(listed), page.error());
    }
    if (std::any_of(page->memories.begin(), page->memories.end(),
                    [&](const memory& one) { return owned_by(one, who); })) {
      listed.outcome = kind::in_progress;
      listed.event_id = context.event_id;
      listed.result = nullptr;
      co_return listed;
    }
    listed.result = json::object{{"forgotten", true}};
    co_return listed;
  }
  const auto refusal_status =
      api_->refuses_bulk_delete(403) ? std::optional<int>(403) : std::nullopt;
  auto result = co_await call("forget", api_->forget(who), context.request_id,
                              {.tolerated_status = refusal_status});
  if (refusal_status && result.http_status == *refusal_status) {
    logging::info("memory bank key may not delete in bulk; deleting memory by memory",
                  {{"request_id", context.request_id}});
    auto deleted = co_await delete_each(who, context);
    co_return after(result, std::move(deleted));
  }
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto answer = api_->read_forget(result.result);
  if (!answer) {
    co_return unreadable(std::move(result), answer.error());
  }
  if (answer->event_id) {
    result.outcome = kind::in_progress;
    result.event_id = answer->event_id;
    result.result = nullptr;
    co_return result;
  }
  result.result = json::object{{"forgotten", true}};
  co_return result;
}

net::awaitable<call_result> client::execute(const owner& who, const operation_input& input,
                                            const attempt_context& context) {
  auto self = shared_from_this();
  if (!is_sendable_entity_id(who.user_id)) {
    co_return rejected("the end user's id cannot be sent to mem0 (empty, whitespace or \"*\")");
  }
  struct runner {
    client& self;
    const owner& who;
    const attempt_context& context;
    net::awaitable<call_result> operator()(const search_input& in) {
      return self.search(who, in, context);
    }
    net::awaitable<call_result> operator()(const create_input& in) {
      return self.create(who, in, context);
    }
    net::awaitable<call_result> operator()(const get_input& in) {
      return self.get(who, in, context);
    }
    net::awaitable<call_result> operator()(const list_input& in) {
      return self.list(who, in, context);
    }
    net::awaitable<call_result> operator()(const update_input& in) {
      return self.update(who, in, context);
    }
    net::awaitable<call_result> operator()(const delete_input& in) {
      return self.remove(who, in, context);
    }
    net::awaitable<call_result> operator()(const history_input& in) {
      return self.history(who, in, context);
    }
    net::awaitable<call_result> operator()(const forget_input&) {
      return self.forget(who, context);
    }
  };
  co_return co_await std::visit(runner{*this, who, context}, input);
}

}  // namespace gpt_adapter::memory_bank
