#include "worker/job_attempt.hpp"

#include <string>
#include <utility>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging/logger.hpp"
#include "common/memory_bank/operation_input.hpp"
#include "worker/job_decision.hpp"

namespace gpt_adapter::worker {

namespace net = boost::asio;

net::awaitable<memory_bank::call_result> run_attempt(memory_bank::client& bank,
                                                     const queue::job& value, bool redelivered,
                                                     const attempt_limits& limits) {
  using namespace net::experimental::awaitable_operators;
  auto input = memory_bank::parse_operation_input(value.op, value.payload);
  if (!input) {
    memory_bank::call_result invalid;
    invalid.outcome = memory_bank::call_result::kind::rejected;
    invalid.error = "invalid payload: " + input.error().message;
    co_return invalid;
  }
  const auto executor = co_await net::this_coro::executor;
  net::steady_timer soft(executor, limits.soft);
  const std::string op(queue::to_string(value.op));
  soft.async_wait([request_id = value.request_id, op, &passed = limits.past_soft_limit.labels({op}),
                   limit = limits.soft.count()](const boost::system::error_code& error) {
    if (!error) {
      passed.inc();
      logging::warn("job passed its soft time limit",
                    {{"request_id", request_id}, {"operation", op}, {"limit_ms", limit}});
    }
  });
  net::steady_timer hard(executor, limits.hard);
  const auto who = job_owner(value);
  const memory_bank::attempt_context context{
      .request_id = value.request_id,
      .enqueued_at = value.enqueued_at,
      .earlier_attempt_ran = value.attempt > 1 || redelivered,
      .event_id = value.memory_bank_event_id};
  auto winner =
      co_await (bank.execute(who, input.value(), context) || hard.async_wait(net::use_awaitable));
  soft.cancel();
  if (winner.index() == 0) {
    co_return std::get<0>(std::move(winner));
  }
  memory_bank::call_result timed_out;
  timed_out.outcome = memory_bank::call_result::kind::transient;
  timed_out.error =
      "attempt abandoned at the hard time limit of " + std::to_string(limits.hard.count()) + " ms";
  co_return timed_out;
}

}  // namespace gpt_adapter::worker
