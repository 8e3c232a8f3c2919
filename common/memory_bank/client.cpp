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

namespace gpt_adapter::memory_bank {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;
using kind = call_result::kind;

constexpr std::size_t max_error_detail = 200;

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

std::string_view scheme_header_value(auth_scheme scheme) {
  return scheme == auth_scheme::token ? "Token " : "Bearer ";
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

// What the Memory Bank said about a refused call: mem0's {"detail": ...} or a short excerpt.
std::string answer_detail(const std::string& body) {
  boost::system::error_code error;
  const auto value = boost::json::parse(body, error);
  std::string detail;
  if (!error && value.is_object()) {
    if (const auto* text = value.as_object().if_contains("detail"); text && text->is_string()) {
      detail = std::string(text->as_string());
    } else if (text != nullptr) {
      detail = boost::json::serialize(*text);
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

boost::json::object memory_json(const memory& found) {
  boost::json::object object{
      {"memory_id", found.memory_id}, {"content", found.content}, {"metadata", found.metadata}};
  if (found.relevance_score) {
    object["relevance_score"] = *found.relevance_score;
  }
  if (found.created_at) {
    object["created_at"] = *found.created_at;
  }
  return object;
}

call_result unreadable(call_result from, const error& problem) {
  from.outcome = kind::rejected;
  from.error = "unexpected answer from the Memory Bank: " + problem.message;
  from.result = nullptr;
  return from;
}

bool is_read(const operation_input& input) {
  return std::holds_alternative<search_input>(input) || std::holds_alternative<get_input>(input) ||
         std::holds_alternative<list_input>(input);
}

}  // namespace

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
  }
  return "unknown";
}

std::string_view operation_name(const operation_input& input) {
  struct namer {
    std::string_view operator()(const search_input&) const { return "search"; }
    std::string_view operator()(const create_input&) const { return "create"; }
    std::string_view operator()(const get_input&) const { return "get"; }
    std::string_view operator()(const list_input&) const { return "list"; }
    std::string_view operator()(const update_input&) const { return "update"; }
    std::string_view operator()(const delete_input&) const { return "delete"; }
  };
  return std::visit(namer{}, input);
}

client_settings read_client_settings(const config::env_reader& env) {
  client_settings settings;
  settings.url = env.string_or("MEMORY_BANK_URL", settings.url);
  if (auto parsed = http::parse_origin_url(settings.url); !parsed) {
    throw config::config_error("MEMORY_BANK_URL=\"" + settings.url +
                               "\" is invalid: " + parsed.error());
  }
  const auto shape =
      env.one_of_or("MEMORY_BANK_DIALECT", "mem0-oss", {"mem0-platform", "mem0-oss", "openmemory"});
  settings.shape = *parse_dialect(shape);
  settings.api_key = env.string_or("MEMORY_BANK_API_KEY", "");
  const auto scheme = env.one_of_or("MEMORY_BANK_AUTH_SCHEME",
                                    settings.shape == dialect::mem0_platform ? "token" : "bearer",
                                    {"token", "bearer", "x-api-key"});
  settings.scheme = scheme == "token"    ? auth_scheme::token
                    : scheme == "bearer" ? auth_scheme::bearer
                                         : auth_scheme::x_api_key;
  settings.transport.connect_timeout = env.millis_or(
      "MEMORY_BANK_CONNECT_TIMEOUT_MS", milliseconds{2000}, milliseconds{10}, milliseconds{60000});
  settings.transport.request_timeout =
      env.millis_or("MEMORY_BANK_REQUEST_TIMEOUT_MS", milliseconds{10000}, milliseconds{10},
                    milliseconds{600000});
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
};

std::shared_ptr<client> client::create(net::any_io_executor executor, client_settings settings,
                                       metrics::registry& metrics) {
  auto target = http::parse_origin_url(settings.url);
  if (!target) {
    throw config::config_error("MEMORY_BANK_URL=\"" + settings.url +
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
      "memory_bank_circuit_state",
      "Memory Bank circuit breaker: 0 closed, 1 half-open (one trial call), 2 open.");
  auto& openings = metrics.add_gauge("memory_bank_circuit_openings",
                                     "Times the Memory Bank circuit breaker has opened.");
  metrics.add_collector([weak = std::weak_ptr<circuit_breaker>(breaker), &state, &openings] {
    if (const auto current = weak.lock()) {
      const auto now = current->state();
      state.get().set(now == circuit_state::closed      ? 0.0
                      : now == circuit_state::half_open ? 1.0
                                                        : 2.0);
      openings.get().set(static_cast<double>(current->openings()));
    }
  });
  return created;
}

client::client(client_settings settings, std::shared_ptr<http::outbound_client> transport,
               std::shared_ptr<circuit_breaker> breaker, metrics::registry& metrics)
    : settings_(std::move(settings)),
      transport_(std::move(transport)),
      breaker_(std::move(breaker)),
      metrics_(std::make_unique<metric_handles>(metric_handles{
          metrics.add_counter("memory_bank_requests_total",
                              "Memory Bank HTTP calls by operation and status (HTTP status, or "
                              "connect, timeout, io, protocol, stopped, circuit_open).",
                              {"operation", "status"}),
          metrics.add_histogram("memory_bank_request_duration_seconds",
                                "Memory Bank HTTP call duration by operation.", {"operation"})})) {}

client::~client() = default;

circuit_state client::breaker_state() const {
  return breaker_->state();
}

std::chrono::milliseconds client::time_until_trial() const {
  return breaker_->time_until_trial();
}

http::dependency_check client::readiness_check() {
  return {"memory_bank", [weak = weak_from_this()](milliseconds) -> net::awaitable<bool> {
            const auto self = weak.lock();
            co_return self && self->breaker_state() != circuit_state::open;
          }};
}

void client::stop() {
  transport_->stop();
}

net::awaitable<call_result> client::call_once(std::string_view operation,
                                              const http_request& request,
                                              std::string_view request_id) {
  const std::string op(operation);
  const auto permit = breaker_->acquire();
  if (!permit.allowed) {
    metrics_->requests.labels({op, "circuit_open"}).inc();
    co_return call_result{.outcome = kind::circuit_open,
                          .error = "the Memory Bank circuit breaker is open",
                          .retry_after = permit.retry_after};
  }
  http::outbound_request outbound{.method = request.method, .target = request.target};
  outbound.headers.emplace_back("Accept", "application/json");
  if (!request_id.empty()) {
    outbound.headers.emplace_back("X-Request-ID", std::string(request_id));
  }
  if (!settings_.api_key.empty()) {
    if (settings_.scheme == auth_scheme::x_api_key) {
      outbound.headers.emplace_back("X-API-Key", settings_.api_key);
    } else {
      outbound.headers.emplace_back(
          "Authorization", std::string(scheme_header_value(settings_.scheme)) + settings_.api_key);
    }
  }
  if (request.body) {
    outbound.body = boost::json::serialize(*request.body);
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
    metrics_->requests.labels({op, std::to_string(answer.status)}).inc();
    result.http_status = answer.status;
    result.memory_bank_request_id = memory_bank_request_id(answer.headers);
    // Only server failures count against the host: a 4xx, 408 and 429 included, means it is
    // up and answering (429 is its own backpressure, honoured through retry_after).
    if (answer.status >= 500) {
      breaker_->record_failure(permit);
    } else {
      breaker_->record_success(permit);
    }
    if (answer.status >= 200 && answer.status < 300) {
      boost::system::error_code error;
      result.result = answer.body.empty() ? boost::json::value(nullptr)
                                          : boost::json::parse(answer.body, error);
      if (error) {
        result.outcome = kind::rejected;
        result.result = nullptr;
        result.error = "the Memory Bank answered " + std::to_string(answer.status) +
                       " with a body that is not JSON";
      } else {
        result.outcome = kind::ok;
      }
    } else if (answer.status == 404) {
      result.outcome = kind::not_found;
      result.error = "not found";
    } else if (answer.status == 408 || answer.status == 429 || answer.status >= 500) {
      result.outcome = kind::transient;
      result.retry_after = retry_after_header(answer.headers);
      result.error = "the Memory Bank answered " + std::to_string(answer.status) + ": " +
                     answer_detail(answer.body);
    } else {
      result.outcome = kind::rejected;
      result.error = "the Memory Bank answered " + std::to_string(answer.status) + ": " +
                     answer_detail(answer.body);
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

net::awaitable<call_result> client::call(std::string_view operation, const http_request& request,
                                         std::string_view request_id, bool idempotent) {
  const int allowed = idempotent ? 1 + settings_.read_retries : 1;
  auto delay = settings_.read_retry_delay;
  call_result result;
  for (int attempt = 1;; ++attempt) {
    result = co_await call_once(operation, request, request_id);
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

net::awaitable<call_result> client::read_owned(const owner& who, const std::string& memory_id,
                                               std::string_view request_id) {
  auto request = build_request(settings_.shape, who, get_input{memory_id});
  if (!request) {
    co_return call_result{.outcome = kind::rejected, .error = request.error().message};
  }
  auto result = co_await call("get", request.value(), request_id, true);
  if (result.outcome != kind::ok) {
    co_return result;
  }
  auto found = parse_memory(result.result);
  if (!found) {
    co_return unreadable(std::move(result), found.error());
  }
  if (auto foreign = check_owner(found.value(), who.user_id)) {
    result.outcome = kind::not_found;
    result.http_status = 404;
    result.result = nullptr;
    result.error = foreign->message;
    co_return result;
  }
  result.result = memory_json(found.value());
  co_return result;
}

net::awaitable<call_result> client::execute(const owner& who, const operation_input& input,
                                            std::string_view request_id) {
  auto self = shared_from_this();
  const auto operation = operation_name(input);
  auto request = build_request(settings_.shape, who, input);
  if (!request) {
    co_return call_result{.outcome = kind::rejected, .error = request.error().message};
  }

  // mem0 updates and deletes by id alone: check the owner first.
  int checks = 0;
  const bool by_id_alone = settings_.shape != dialect::openmemory;
  if (by_id_alone && (std::holds_alternative<update_input>(input) ||
                      std::holds_alternative<delete_input>(input))) {
    const auto& memory_id = std::holds_alternative<update_input>(input)
                                ? std::get<update_input>(input).memory_id
                                : std::get<delete_input>(input).memory_id;
    auto owned = co_await read_owned(who, memory_id, request_id);
    if (owned.outcome != kind::ok) {
      co_return owned;
    }
    checks = owned.attempts;
  }

  auto result = co_await call(operation, request.value(), request_id, is_read(input));
  result.attempts += checks;
  if (result.outcome != kind::ok) {
    co_return result;
  }

  if (std::holds_alternative<delete_input>(input)) {
    result.result = boost::json::object{{"deleted", true}};
    co_return result;
  }
  if (const auto* wanted = std::get_if<get_input>(&input)) {
    auto found = parse_memory(result.result);
    if (!found) {
      co_return unreadable(std::move(result), found.error());
    }
    if (auto foreign = check_owner(found.value(), who.user_id)) {
      result.outcome = kind::not_found;
      result.http_status = 404;
      result.result = nullptr;
      result.error = "memory " + wanted->memory_id + " not found";
      co_return result;
    }
    result.result = memory_json(found.value());
    co_return result;
  }
  if (const auto* changed = std::get_if<update_input>(&input)) {
    if (auto found = parse_memory(result.result); found) {
      result.result = memory_json(found.value());
      co_return result;
    }
    // Self-hosted mem0 answers an update with a message only: read the memory back.
    auto reread = co_await read_owned(who, changed->memory_id, request_id);
    reread.attempts += result.attempts;
    if (reread.outcome == kind::ok && reread.memory_bank_request_id.empty()) {
      reread.memory_bank_request_id = result.memory_bank_request_id;
    }
    co_return reread;
  }

  // search, list and create: a list of memories (OpenMemory answers a create with one).
  auto found = parse_memories(result.result);
  if (!found && std::holds_alternative<create_input>(input)) {
    if (auto single = parse_memory(result.result); single) {
      found = std::vector<memory>{single.value()};
    }
  }
  if (!found) {
    co_return unreadable(std::move(result), found.error());
  }
  std::vector<memory> memories = std::move(found).value();
  // Whatever the Memory Bank returns, nothing of another user's namespace goes back.
  std::erase_if(memories,
                [&](const memory& one) { return one.user_id && *one.user_id != who.user_id; });
  if (const auto* page = std::get_if<list_input>(&input);
      page != nullptr && settings_.shape == dialect::mem0_oss) {
    // The self-hosted server lists everything at once: page here.
    const auto first =
        static_cast<std::size_t>(page->page - 1) * static_cast<std::size_t>(page->page_size);
    if (first >= memories.size()) {
      memories.clear();
    } else {
      memories.erase(memories.begin(), memories.begin() + static_cast<std::ptrdiff_t>(first));
      if (memories.size() > static_cast<std::size_t>(page->page_size)) {
        memories.resize(static_cast<std::size_t>(page->page_size));
      }
    }
  }
  boost::json::array items;
  for (const auto& one : memories) {
    items.push_back(memory_json(one));
  }
  result.result = std::move(items);
  co_return result;
}

}  // namespace gpt_adapter::memory_bank
