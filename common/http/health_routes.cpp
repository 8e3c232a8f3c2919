#include "common/http/health_routes.hpp"

#include <ctime>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

response json_response(bhttp::status status, const boost::json::object& body, unsigned version) {
  response answer{status, version};
  answer.set(bhttp::field::content_type, "application/json");
  answer.set(bhttp::field::cache_control, "no-store");
  answer.body() = boost::json::serialize(body);
  answer.prepare_payload();
  return answer;
}

// Shared by the probes of one readiness request; every access happens on the request's strand.
struct probe_round {
  explicit probe_round(net::any_io_executor executor, std::size_t count)
      : results(count, false), remaining(count), all_done(std::move(executor)) {}
  std::vector<bool> results;
  std::size_t remaining;
  net::steady_timer all_done;
};

net::awaitable<std::vector<bool>> probe_all(const std::vector<dependency_check>& checks,
                                            std::chrono::milliseconds timeout) {
  auto executor = co_await net::this_coro::executor;
  auto round = std::make_shared<probe_round>(executor, checks.size());
  // The timer doubles as the deadline for the whole round.
  round->all_done.expires_after(timeout + std::chrono::milliseconds(50));
  for (std::size_t i = 0; i < checks.size(); ++i) {
    net::co_spawn(
        executor,
        [round, i, probe = checks[i].probe, timeout]() -> net::awaitable<void> {
          bool healthy = false;
          try {
            healthy = co_await probe(timeout);
          } catch (const std::exception&) {
            healthy = false;
          }
          round->results[i] = healthy;
          if (--round->remaining == 0) {
            round->all_done.cancel();
          }
        },
        net::detached);
  }
  if (round->remaining > 0) {
    co_await round->all_done.async_wait(net::as_tuple(net::use_awaitable));
  }
  co_return round->results;
}

}  // namespace

void add_health_routes(router& routes, health_options options) {
  metrics::family<metrics::gauge>* dependency_up = nullptr;
  if (options.metrics != nullptr) {
    dependency_up = &options.metrics->add_gauge(
        "gpt_adapter_readiness_dependency_up",
        "1 when the last readiness check (GET /health/ready) reached the dependency, 0 when it "
        "did not; no series before the first check.",
        {"dependency"});
  }
  auto shared = std::make_shared<const health_options>(std::move(options));

  routes.add(verb::get, "/health", [](request_context& context) -> net::awaitable<response> {
    co_return json_response(bhttp::status::ok,
                            {{"status", "healthy"},
                             {"version", GPT_ADAPTER_VERSION},
                             {"timestamp", text::utc_now_rfc3339()}},
                            context.message.version());
  });

  routes.add(
      verb::get, "/health/ready",
      [shared, dependency_up](request_context& context) -> net::awaitable<response> {
        boost::json::object dependencies;
        if (shared->shutting_down && shared->shutting_down->load()) {
          co_return json_response(bhttp::status::service_unavailable,
                                  {{"status", "not_ready"}, {"reason", "shutting_down"}},
                                  context.message.version());
        }
        const auto results = co_await probe_all(shared->dependencies, shared->check_timeout);
        bool ready = true;
        for (std::size_t i = 0; i < results.size(); ++i) {
          dependencies[shared->dependencies[i].name] = results[i] ? "ok" : "unavailable";
          ready = ready && results[i];
          if (dependency_up != nullptr) {
            dependency_up->labels({shared->dependencies[i].name}).set(results[i] ? 1.0 : 0.0);
          }
        }
        co_return json_response(
            ready ? bhttp::status::ok : bhttp::status::service_unavailable,
            {{"status", ready ? "ready" : "not_ready"}, {"dependencies", dependencies}},
            context.message.version());
      });

  if (shared->metrics != nullptr) {
    routes.add(verb::get, "/metrics",
               [shared](request_context& context) -> net::awaitable<response> {
                 response answer{bhttp::status::ok, context.message.version()};
                 answer.set(bhttp::field::content_type, metrics::exposition_content_type);
                 answer.body() = shared->metrics->expose();
                 answer.prepare_payload();
                 co_return answer;
               });
  }
}

}  // namespace gpt_adapter::http
