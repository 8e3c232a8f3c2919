#include "tools/memory-bank-dev/dev_server.hpp"

#include <charconv>
#include <random>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/http/health_routes.hpp"
#include "common/http/request_id.hpp"
#include "common/http/server.hpp"
#include "common/logging/logger.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/lifecycle.hpp"
#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::memory_bank_dev {
namespace {

namespace net = boost::asio;
using boost::beast::http::status;

constexpr std::size_t recent_calls_kept = 200;
constexpr std::size_t default_search_limit = 100;

http::response json_answer(const http::request_context& context, status code,
                           const boost::json::value& body) {
  http::response answer{code, context.message.version()};
  answer.set(boost::beast::http::field::content_type, "application/json");
  // The Memory Bank's own id for the call, distinct from the caller's X-Request-ID.
  answer.set("Request-Id", "mbdev-" + http::generate_request_id());
  answer.body() = boost::json::serialize(body);
  answer.prepare_payload();
  return answer;
}

http::response detail_answer(const http::request_context& context, status code,
                             std::string detail) {
  return json_answer(context, code, boost::json::object{{"detail", std::move(detail)}});
}

std::map<std::string, std::string> query_parameters(std::string_view query) {
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto equals = pair.find('=');
    const auto name = text::percent_decode(pair.substr(0, equals), text::plus_sign::space);
    const auto value = text::percent_decode(
        equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1),
        text::plus_sign::space);
    if (name && value) {
      parameters[*name] = *value;
    }
  }
  return parameters;
}

std::string string_at(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

entity entity_of(const boost::json::object& object) {
  return {string_at(object, "user_id"), string_at(object, "agent_id"), string_at(object, "run_id")};
}

entity entity_of(const std::map<std::string, std::string>& parameters) {
  entity found;
  if (auto it = parameters.find("user_id"); it != parameters.end()) {
    found.user_id = it->second;
  }
  if (auto it = parameters.find("agent_id"); it != parameters.end()) {
    found.agent_id = it->second;
  }
  if (auto it = parameters.find("run_id"); it != parameters.end()) {
    found.run_id = it->second;
  }
  return found;
}

constexpr std::string_view missing_entity =
    "At least one identifier (user_id, agent_id, run_id) is required.";

boost::json::object memory_json(const stored_memory& memory) {
  boost::json::object object{{"id", memory.id},
                             {"memory", memory.text},
                             {"metadata", memory.metadata},
                             {"created_at", memory.created_at},
                             {"updated_at", memory.updated_at}};
  if (!memory.owner.user_id.empty()) {
    object["user_id"] = memory.owner.user_id;
  }
  if (!memory.owner.agent_id.empty()) {
    object["agent_id"] = memory.owner.agent_id;
  }
  if (!memory.owner.run_id.empty()) {
    object["run_id"] = memory.owner.run_id;
  }
  return object;
}

// The body as a JSON object, or the 422 answer FastAPI would give.
std::variant<boost::json::object, http::response> json_body(const http::request_context& context) {
  boost::system::error_code error;
  auto value = boost::json::parse(context.message.body(), error);
  if (error || !value.is_object()) {
    return detail_answer(context, status::unprocessable_entity,
                         "The request body must be a JSON object.");
  }
  return std::move(value.as_object());
}

std::string authorization_scheme(const http::request& message) {
  if (!message["X-API-Key"].empty()) {
    return "X-API-Key";
  }
  const auto header = message[boost::beast::http::field::authorization];
  return std::string(header.substr(0, header.find(' ')));
}

bool chance(double probability) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator) < probability;
}

long long parse_integer(const std::string& flag, const std::string& text, long long min,
                        long long max) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw std::invalid_argument(flag + " expects an integer from " + std::to_string(min) + " to " +
                                std::to_string(max));
  }
  return value;
}

double parse_rate(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double value = -1.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= 0.0 && value <= 1.0)) {
    throw std::invalid_argument(flag + " expects a number from 0 to 1");
  }
  return value;
}

boost::json::object faults_json(const fault_settings& faults) {
  return {{"latency_ms", faults.latency.count()},
          {"error_rate", faults.error_rate},
          {"down", faults.down},
          {"fail_next", faults.fail_next},
          {"fail_status", faults.fail_status}};
}

}  // namespace

dev_server_options parse_command_line(const std::vector<std::string>& args) {
  dev_server_options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& flag = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) {
        throw std::invalid_argument(flag + " expects a value");
      }
      return args[++i];
    };
    if (flag == "--host") {
      options.host = value();
    } else if (flag == "--port") {
      options.port = static_cast<unsigned short>(parse_integer(flag, value(), 0, 65535));
    } else if (flag == "--threads") {
      options.threads = static_cast<std::size_t>(parse_integer(flag, value(), 1, 64));
    } else if (flag == "--data-file") {
      options.data_file = value();
    } else if (flag == "--latency-ms") {
      options.faults.latency = std::chrono::milliseconds(parse_integer(flag, value(), 0, 600000));
    } else if (flag == "--error-rate") {
      options.faults.error_rate = parse_rate(flag, value());
    } else if (flag == "--down") {
      options.faults.down = true;
    } else if (flag == "--fail-next") {
      options.faults.fail_next = static_cast<int>(parse_integer(flag, value(), 0, 1000000));
    } else if (flag == "--fail-status") {
      options.faults.fail_status = static_cast<int>(parse_integer(flag, value(), 400, 599));
    } else if (flag == "--api-key") {
      options.api_key = value();
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  return options;
}

dev_memory_bank::dev_memory_bank(std::shared_ptr<memory_store> store, fault_settings faults,
                                 std::optional<std::string> api_key)
    : store_(std::move(store)), api_key_(std::move(api_key)), faults_(faults) {}

fault_settings dev_memory_bank::faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

void dev_memory_bank::add_routes(http::router& routes) {
  using http::verb;
  auto bind = [self = shared_from_this()](auto member) -> http::handler {
    return [self, member](http::request_context& context) { return ((*self).*member)(context); };
  };
  routes.add(verb::post, "/memories", guarded("add", bind(&dev_memory_bank::add)));
  routes.add(verb::get, "/memories", guarded("list", bind(&dev_memory_bank::list)));
  routes.add(verb::delete_, "/memories", guarded("delete_all", bind(&dev_memory_bank::remove_all)));
  routes.add(verb::get, "/memories/{memory_id}", guarded("get", bind(&dev_memory_bank::get)));
  routes.add(verb::put, "/memories/{memory_id}", guarded("update", bind(&dev_memory_bank::update)));
  routes.add(verb::delete_, "/memories/{memory_id}",
             guarded("delete", bind(&dev_memory_bank::remove)));
  routes.add(verb::get, "/memories/{memory_id}/history",
             guarded("history", bind(&dev_memory_bank::history)));
  routes.add(verb::post, "/search", guarded("search", bind(&dev_memory_bank::search)));
  routes.add(verb::post, "/reset", guarded("reset", bind(&dev_memory_bank::reset)));

  routes.add(verb::get, "/_dev/faults", bind(&dev_memory_bank::show_faults));
  routes.add(verb::post, "/_dev/faults", bind(&dev_memory_bank::change_faults));
  routes.add(verb::get, "/_dev/stats", bind(&dev_memory_bank::show_stats));
  routes.add(verb::delete_, "/_dev/stats", bind(&dev_memory_bank::clear_stats));
}

http::handler dev_memory_bank::guarded(std::string operation, http::handler inner) {
  return [self = shared_from_this(), operation = std::move(operation), inner = std::move(inner)](
             http::request_context& context) -> net::awaitable<http::response> {
    std::chrono::milliseconds latency{0};
    {
      std::lock_guard lock(self->mutex_);
      ++self->calls_[operation];
      self->recent_.push_back({operation, std::string(context.message.method_string()),
                               std::string(context.message.target()), context.request_id,
                               authorization_scheme(context.message)});
      if (self->recent_.size() > recent_calls_kept) {
        self->recent_.pop_front();
      }
      latency = self->faults_.latency;
    }
    if (latency.count() > 0) {
      net::steady_timer delay(co_await net::this_coro::executor, latency);
      co_await delay.async_wait(net::use_awaitable);
    }
    if (auto failure = self->injected_failure(context)) {
      co_return std::move(*failure);
    }
    if (auto refused = self->refused_credentials(context)) {
      co_return std::move(*refused);
    }
    co_return co_await inner(context);
  };
}

std::optional<http::response> dev_memory_bank::injected_failure(
    const http::request_context& context) {
  std::lock_guard lock(mutex_);
  std::optional<status> code;
  if (faults_.down) {
    code = status::service_unavailable;
  } else if (faults_.fail_next > 0) {
    --faults_.fail_next;
    code = static_cast<status>(faults_.fail_status);
  } else if (faults_.error_rate > 0.0 && chance(faults_.error_rate)) {
    code = status::internal_server_error;
  }
  if (!code) {
    return std::nullopt;
  }
  ++injected_failures_;
  auto answer = detail_answer(context, *code, "Injected failure (memory-bank-dev).");
  if (*code == status::too_many_requests || *code == status::service_unavailable) {
    answer.set(boost::beast::http::field::retry_after, "1");
  }
  return answer;
}

std::optional<http::response> dev_memory_bank::refused_credentials(
    const http::request_context& context) const {
  if (!api_key_) {
    return std::nullopt;
  }
  const auto& message = context.message;
  const auto header = message[boost::beast::http::field::authorization];
  const auto space = header.find(' ');
  const bool by_header = space != std::string_view::npos &&
                         (boost::beast::iequals(header.substr(0, space), "Bearer") ||
                          boost::beast::iequals(header.substr(0, space), "Token")) &&
                         header.substr(space + 1) == *api_key_;
  if (by_header || message["X-API-Key"] == *api_key_) {
    return std::nullopt;
  }
  return detail_answer(context, status::unauthorized, "Invalid or missing API key.");
}

net::awaitable<http::response> dev_memory_bank::add(http::request_context& context) {
  auto parsed = json_body(context);
  if (auto* refused = std::get_if<http::response>(&parsed)) {
    co_return std::move(*refused);
  }
  const auto& body = std::get<boost::json::object>(parsed);
  const auto owner = entity_of(body);
  if (!owner.any()) {
    co_return detail_answer(context, status::bad_request, std::string(missing_entity));
  }
  const auto* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array() || messages->as_array().empty()) {
    co_return detail_answer(context, status::unprocessable_entity,
                            "messages must be a non-empty list of {role, content}.");
  }
  // mem0 extracts facts from what the user said; here each user message is one memory.
  std::vector<std::string> user_texts;
  std::vector<std::string> all_texts;
  for (const auto& message : messages->as_array()) {
    if (!message.is_object() || !message.as_object().contains("content") ||
        !message.as_object().at("content").is_string()) {
      co_return detail_answer(context, status::unprocessable_entity,
                              "Every message needs a string content.");
    }
    const auto content = string_at(message.as_object(), "content");
    if (content.empty()) {
      continue;
    }
    all_texts.push_back(content);
    if (string_at(message.as_object(), "role") == "user") {
      user_texts.push_back(content);
    }
  }
  boost::json::object metadata;
  if (const auto* given = body.if_contains("metadata"); given != nullptr && !given->is_null()) {
    if (!given->is_object()) {
      co_return detail_answer(context, status::unprocessable_entity, "metadata must be an object.");
    }
    metadata = given->as_object();
  }
  boost::json::array results;
  for (const auto& memory :
       store_->add(owner, user_texts.empty() ? all_texts : user_texts, metadata)) {
    auto object = memory_json(memory);
    object["event"] = "ADD";
    results.push_back(std::move(object));
  }
  co_return json_answer(context, status::ok, boost::json::object{{"results", std::move(results)}});
}

net::awaitable<http::response> dev_memory_bank::search(http::request_context& context) {
  auto parsed = json_body(context);
  if (auto* refused = std::get_if<http::response>(&parsed)) {
    co_return std::move(*refused);
  }
  const auto& body = std::get<boost::json::object>(parsed);
  const auto query = string_at(body, "query");
  if (query.empty()) {
    co_return detail_answer(context, status::unprocessable_entity, "query is required.");
  }
  const auto owner = entity_of(body);
  if (!owner.any()) {
    co_return detail_answer(context, status::bad_request, std::string(missing_entity));
  }
  std::size_t limit = default_search_limit;
  if (const auto* given = body.if_contains("limit"); given != nullptr && !given->is_null()) {
    if (!given->is_int64() || given->as_int64() < 1) {
      co_return detail_answer(context, status::unprocessable_entity,
                              "limit must be a positive integer.");
    }
    limit = static_cast<std::size_t>(given->as_int64());
  }
  boost::json::object filters;
  if (const auto* given = body.if_contains("filters"); given != nullptr && !given->is_null()) {
    if (!given->is_object()) {
      co_return detail_answer(context, status::unprocessable_entity, "filters must be an object.");
    }
    filters = given->as_object();
  }
  boost::json::array results;
  for (const auto& found : store_->search(query, owner, limit, filters)) {
    auto object = memory_json(found.memory);
    object["score"] = found.score;
    results.push_back(std::move(object));
  }
  co_return json_answer(context, status::ok, boost::json::object{{"results", std::move(results)}});
}

net::awaitable<http::response> dev_memory_bank::list(http::request_context& context) {
  const auto owner = entity_of(query_parameters(context.query));
  if (!owner.any()) {
    co_return detail_answer(context, status::bad_request, std::string(missing_entity));
  }
  boost::json::array results;
  for (const auto& memory : store_->list(owner)) {
    results.push_back(memory_json(memory));
  }
  co_return json_answer(context, status::ok, boost::json::object{{"results", std::move(results)}});
}

net::awaitable<http::response> dev_memory_bank::get(http::request_context& context) {
  const auto found = store_->get(std::string(context.path_param("memory_id")));
  if (!found) {
    co_return detail_answer(context, status::not_found, "Memory not found.");
  }
  co_return json_answer(context, status::ok, memory_json(*found));
}

net::awaitable<http::response> dev_memory_bank::update(http::request_context& context) {
  auto parsed = json_body(context);
  if (auto* refused = std::get_if<http::response>(&parsed)) {
    co_return std::move(*refused);
  }
  const auto& body = std::get<boost::json::object>(parsed);
  // mem0 versions name the new text differently.
  std::string text;
  for (const std::string_view name : {"text", "data", "memory"}) {
    if (text.empty()) {
      text = string_at(body, name);
    }
  }
  if (text.empty()) {
    co_return detail_answer(context, status::unprocessable_entity, "text is required.");
  }
  std::optional<boost::json::object> metadata;
  if (const auto* given = body.if_contains("metadata"); given != nullptr && given->is_object()) {
    metadata = given->as_object();
  }
  if (!store_->update(std::string(context.path_param("memory_id")), text, metadata)) {
    co_return detail_answer(context, status::not_found, "Memory not found.");
  }
  co_return json_answer(context, status::ok,
                        boost::json::object{{"message", "Memory updated successfully!"}});
}

net::awaitable<http::response> dev_memory_bank::remove(http::request_context& context) {
  if (!store_->remove(std::string(context.path_param("memory_id")))) {
    co_return detail_answer(context, status::not_found, "Memory not found.");
  }
  co_return json_answer(context, status::ok,
                        boost::json::object{{"message", "Memory deleted successfully"}});
}

net::awaitable<http::response> dev_memory_bank::remove_all(http::request_context& context) {
  const auto owner = entity_of(query_parameters(context.query));
  if (!owner.any()) {
    co_return detail_answer(context, status::bad_request, std::string(missing_entity));
  }
  const auto removed = store_->remove_all(owner);
  co_return json_answer(
      context, status::ok,
      boost::json::object{{"message", "All relevant memories deleted"}, {"deleted", removed}});
}

net::awaitable<http::response> dev_memory_bank::history(http::request_context& context) {
  boost::json::array entries;
  for (const auto& entry : store_->history(std::string(context.path_param("memory_id")))) {
    boost::json::object object{{"id", entry.id},
                               {"memory_id", entry.memory_id},
                               {"event", entry.event},
                               {"created_at", entry.created_at}};
    object["old_memory"] = entry.old_memory ? boost::json::value(*entry.old_memory) : nullptr;
    object["new_memory"] = entry.new_memory ? boost::json::value(*entry.new_memory) : nullptr;
    entries.push_back(std::move(object));
  }
  co_return json_answer(context, status::ok, entries);
}

net::awaitable<http::response> dev_memory_bank::reset(http::request_context& context) {
  store_->reset();
  co_return json_answer(context, status::ok,
                        boost::json::object{{"message", "Memory store reset successfully"}});
}

net::awaitable<http::response> dev_memory_bank::show_faults(http::request_context& context) {
  co_return json_answer(context, status::ok, faults_json(faults()));
}

net::awaitable<http::response> dev_memory_bank::change_faults(http::request_context& context) {
  auto parsed = json_body(context);
  if (auto* refused = std::get_if<http::response>(&parsed)) {
    co_return std::move(*refused);
  }
  const auto& body = std::get<boost::json::object>(parsed);
  auto integer = [&](std::string_view name, long long min,
                     long long max) -> std::optional<long long> {
    const auto* value = body.if_contains(name);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_int64() || value->as_int64() < min || value->as_int64() > max) {
      throw std::invalid_argument(std::string(name) + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max));
    }
    return value->as_int64();
  };
  fault_settings changed = faults();
  try {
    if (auto latency = integer("latency_ms", 0, 600000)) {
      changed.latency = std::chrono::milliseconds(*latency);
    }
    if (auto fail_next = integer("fail_next", 0, 1000000)) {
      changed.fail_next = static_cast<int>(*fail_next);
    }
    if (auto fail_status = integer("fail_status", 400, 599)) {
      changed.fail_status = static_cast<int>(*fail_status);
    }
    if (const auto* rate = body.if_contains("error_rate")) {
      if (!rate->is_number() || !(rate->to_number<double>() >= 0.0) ||
          rate->to_number<double>() > 1.0) {
        throw std::invalid_argument("error_rate must be a number from 0 to 1");
      }
      changed.error_rate = rate->to_number<double>();
    }
    if (const auto* down = body.if_contains("down")) {
      if (!down->is_bool()) {
        throw std::invalid_argument("down must be true or false");
      }
      changed.down = down->as_bool();
    }
  } catch (const std::invalid_argument& invalid) {
    co_return detail_answer(context, status::unprocessable_entity, invalid.what());
  } catch (const std::exception&) {
    co_return detail_answer(context, status::unprocessable_entity, "invalid fault settings");
  }
  {
    std::lock_guard lock(mutex_);
    faults_ = changed;
  }
  logging::info("faults changed", {{"faults", faults_json(changed)}});
  co_return json_answer(context, status::ok, faults_json(changed));
}

net::awaitable<http::response> dev_memory_bank::show_stats(http::request_context& context) {
  boost::json::object requests;
  boost::json::array recent;
  std::uint64_t total = 0;
  std::uint64_t injected = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [operation, count] : calls_) {
      requests[operation] = count;
      total += count;
    }
    for (const auto& call : recent_) {
      recent.push_back(boost::json::object{{"operation", call.operation},
                                           {"method", call.method},
                                           {"target", call.target},
                                           {"request_id", call.request_id},
                                           {"authorization", call.authorization}});
    }
    injected = injected_failures_;
  }
  co_return json_answer(context, status::ok,
                        boost::json::object{{"requests", std::move(requests)},
                                            {"total", total},
                                            {"injected_failures", injected},
                                            {"memories", store_->size()},
                                            {"recent", std::move(recent)}});
}

net::awaitable<http::response> dev_memory_bank::clear_stats(http::request_context& context) {
  {
    std::lock_guard lock(mutex_);
    calls_.clear();
    recent_.clear();
    injected_failures_ = 0;
  }
  co_return json_answer(context, status::ok, boost::json::object{{"cleared", true}});
}

int run_dev_server(const dev_server_options& options) {
  auto store = std::make_shared<memory_store>(options.data_file);
  auto bank = std::make_shared<dev_memory_bank>(store, options.faults, options.api_key);

  net::io_context context(static_cast<int>(options.threads));
  metrics::registry registry;
  auto routes = std::make_shared<http::router>();
  http::add_health_routes(*routes, {.metrics = &registry});
  bank->add_routes(*routes);

  config::http_listener_settings listener{
      .host = options.host, .port = options.port, .threads = options.threads};
  auto server = std::make_shared<http::server>(context, listener, routes, registry);
  server->start();
  service::stop_signals signals(
      context, [&](int) { server->shutdown(std::chrono::seconds(2), [&] { signals.cancel(); }); });
  logging::info("memory-bank-dev listening",
                {{"host", options.host},
                 {"port", server->port()},
                 {"threads", options.threads},
                 {"memories", store->size()},
                 {"data_file", options.data_file ? options.data_file->string() : std::string()},
                 {"faults", faults_json(options.faults)},
                 {"caller_key_required", options.api_key.has_value()}});
  service::run_threads(context, options.threads);
  logging::info("memory-bank-dev stopped");
  return 0;
}

}  // namespace gpt_adapter::memory_bank_dev
