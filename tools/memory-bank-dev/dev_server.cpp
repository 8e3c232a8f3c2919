#include "tools/memory-bank-dev/dev_server.hpp"

#include <charconv>
#include <random>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include "common/http/health_routes.hpp"
#include "common/http/server.hpp"
#include "common/logging/logger.hpp"
#include "common/metrics/registry.hpp"
#include "common/service/lifecycle.hpp"
#include "tools/memory-bank-dev/oss_routes.hpp"
#include "tools/memory-bank-dev/platform_routes.hpp"

namespace gpt_adapter::memory_bank_dev {
namespace {

namespace net = boost::asio;
using boost::beast::http::status;

constexpr std::size_t recent_calls_kept = 200;

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
    } else if (flag == "--user-api-key") {
      options.user_api_key = value();
    } else if (flag == "--processing-delay-ms") {
      options.processing_delay = std::chrono::milliseconds(parse_integer(flag, value(), 0, 600000));
    } else if (flag == "--dialect") {
      const auto& name = value();
      const auto shape = memory_bank::parse_dialect(name);
      if (!shape) {
        throw std::invalid_argument("--dialect expects mem0-oss or mem0-platform");
      }
      options.shape = *shape;
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  if (options.shape == memory_bank::dialect::mem0_platform && options.user_api_key) {
    throw std::invalid_argument("--user-api-key is for --dialect mem0-oss");
  }
  return options;
}

dev_memory_bank::dev_memory_bank(std::shared_ptr<memory_store> store,
                                 const dev_server_options& options)
    : store_(std::move(store)), options_(options), faults_(options.faults) {}

fault_settings dev_memory_bank::faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

void dev_memory_bank::add_routes(http::router& routes) {
  using http::verb;
  const route_guard guard = [self = shared_from_this()](std::string operation,
                                                        dialect_handler inner) {
    return self->guarded(std::move(operation), std::move(inner));
  };
  if (options_.shape == memory_bank::dialect::mem0_platform) {
    platform::add_routes(routes, store_, guard, {.processing_delay = options_.processing_delay});
  } else {
    oss::add_routes(routes, store_, guard);
  }
  auto bind = [self = shared_from_this()](auto member) -> http::handler {
    return [self, member](http::request_context& context) { return ((*self).*member)(context); };
  };
  routes.add(verb::get, "/_dev/faults", bind(&dev_memory_bank::show_faults));
  routes.add(verb::post, "/_dev/faults", bind(&dev_memory_bank::change_faults));
  routes.add(verb::get, "/_dev/stats", bind(&dev_memory_bank::show_stats));
  routes.add(verb::delete_, "/_dev/stats", bind(&dev_memory_bank::clear_stats));
}

std::variant<caller, http::response> dev_memory_bank::authenticate(
    const http::request_context& context) const {
  if (options_.shape == memory_bank::dialect::mem0_platform) {
    return platform::authenticate(options_.api_key, context);
  }
  return oss::authenticate({.admin_key = options_.api_key, .user_key = options_.user_api_key},
                           context);
}

http::handler dev_memory_bank::guarded(std::string operation, dialect_handler inner) {
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
    auto who = self->authenticate(context);
    if (auto* refused = std::get_if<http::response>(&who)) {
      co_return std::move(*refused);
    }
    co_return co_await inner(context, std::get<caller>(who));
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
  auto answer = json_answer(context, *code,
                            boost::json::object{{"detail", "Injected failure (memory-bank-dev)."}});
  if (*code == status::too_many_requests || *code == status::service_unavailable) {
    answer.set(boost::beast::http::field::retry_after, "1");
  }
  return answer;
}

net::awaitable<http::response> dev_memory_bank::show_faults(http::request_context& context) {
  co_return json_answer(context, status::ok, faults_json(faults()));
}

net::awaitable<http::response> dev_memory_bank::change_faults(http::request_context& context) {
  const auto parsed = parsed_body(context);
  if (!parsed || !parsed->is_object()) {
    co_return json_answer(context, status::unprocessable_entity,
                          boost::json::object{{"detail", "The body must be a JSON object."}});
  }
  const auto& body = parsed->as_object();
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
    co_return json_answer(context, status::unprocessable_entity,
                          boost::json::object{{"detail", invalid.what()}});
  } catch (const std::exception&) {
    co_return json_answer(context, status::unprocessable_entity,
                          boost::json::object{{"detail", "invalid fault settings"}});
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
                                            {"dialect", to_string(options_.shape)},
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
  auto store = std::make_shared<memory_store>(options.data_file,
                                              options.shape == memory_bank::dialect::mem0_oss
                                                  ? timestamp_style::python_isoformat
                                                  : timestamp_style::rfc3339_utc);
  auto bank = std::make_shared<dev_memory_bank>(store, options);

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
                 {"dialect", to_string(options.shape)},
                 {"caller_key_required", options.api_key || options.user_api_key}});
  service::run_threads(context, options.threads);
  logging::info("memory-bank-dev stopped");
  return 0;
}

}  // namespace gpt_adapter::memory_bank_dev
