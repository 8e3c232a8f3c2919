#include "common/queue/completion_waiter.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/queue/job_outcome.hpp"
#include "common/queue/job_queue.hpp"
#include "common/queue/keys.hpp"

namespace gpt_adapter::queue {

namespace net = boost::asio;

// One waiting request. Its loop runs on its own strand, and wake-ups are posted to that strand,
// so a notification can never slip between the check of `notified` and the wait.
struct completion_waiter::waiter {
  explicit waiter(std::string id, const net::any_io_executor& executor)
      : request_id(std::move(id)), strand(net::make_strand(executor)), timer(strand) {}

  std::string request_id;
  net::strand<net::any_io_executor> strand;
  net::steady_timer timer;
  bool notified = false;  // guarded by completion_waiter::mutex_
};

namespace {

void wake(const std::shared_ptr<completion_waiter::waiter>& one) {
  net::post(one->strand, [one] { one->timer.cancel(); });
}

}  // namespace

std::shared_ptr<completion_waiter> completion_waiter::create(
    net::any_io_executor executor, redis::connection_options subscriber_options,
    std::shared_ptr<redis::client> commands, std::chrono::milliseconds poll_interval) {
  auto created = std::shared_ptr<completion_waiter>(
      new completion_waiter(executor, std::move(commands), poll_interval));
  // The handlers hold a weak reference: the subscriber must not keep its owner alive.
  const std::weak_ptr<completion_waiter> owner = created;
  created->subscriber_ = redis::subscriber::create(
      executor,
      redis::subscriber::options{.connection = std::move(subscriber_options),
                                 .channels = {std::string(keys::job_done_channel)}},
      [owner](std::string_view, std::string_view payload) {
        if (auto self = owner.lock()) {
          self->notify(payload);
        }
      },
      [owner] {
        if (auto self = owner.lock()) {
          self->notify_all();
        }
      });
  return created;
}

completion_waiter::completion_waiter(net::any_io_executor executor,
                                     std::shared_ptr<redis::client> commands,
                                     std::chrono::milliseconds poll_interval)
    : executor_(std::move(executor)),
      commands_(std::move(commands)),
      poll_interval_(poll_interval) {}

completion_waiter::~completion_waiter() {
  subscriber_->stop();
}

void completion_waiter::start() {
  subscriber_->start();
}

void completion_waiter::stop() {
  subscriber_->stop();
  notify_all();
}

std::size_t completion_waiter::waiting() const {
  const std::lock_guard lock(mutex_);
  return waiters_.size();
}

void completion_waiter::notify(std::string_view request_id) {
  const std::lock_guard lock(mutex_);
  const auto [first, last] = waiters_.equal_range(std::string(request_id));
  for (auto it = first; it != last; ++it) {
    it->second->notified = true;
    wake(it->second);
  }
}

void completion_waiter::notify_all() {
  const std::lock_guard lock(mutex_);
  for (auto& [id, one] : waiters_) {
    one->notified = true;
    wake(one);
  }
}

net::awaitable<std::optional<job_record>> completion_waiter::wait(
    std::string request_id, std::chrono::steady_clock::time_point deadline) {
  auto registration = std::make_shared<waiter>(std::move(request_id), executor_);
  {
    const std::lock_guard lock(mutex_);
    waiters_.emplace(registration->request_id, registration);
  }
  // Unregisters however the wait ends (result, exception or cancellation).
  const auto unregister = [this, registration] {
    const std::lock_guard lock(mutex_);
    const auto [first, last] = waiters_.equal_range(registration->request_id);
    for (auto it = first; it != last; ++it) {
      if (it->second == registration) {
        waiters_.erase(it);
        break;
      }
    }
  };
  struct guard {
    decltype(unregister)& release;
    ~guard() { release(); }
  } cleanup{unregister};
  co_return co_await net::co_spawn(registration->strand, wait_on_strand(registration, deadline),
                                   net::use_awaitable);
}

net::awaitable<std::optional<job_record>> completion_waiter::wait_on_strand(
    std::shared_ptr<waiter> self, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    {
      const std::lock_guard lock(mutex_);
      self->notified = false;
    }
    auto record = co_await job_queue(*commands_).read_record(self->request_id);
    if (record && is_final(record->status)) {
      co_return record;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      co_return record;
    }
    {
      const std::lock_guard lock(mutex_);
      if (self->notified) {
        continue;
      }
    }
    self->timer.expires_at(std::min(deadline, now + poll_interval_));
    co_await self->timer.async_wait(net::as_tuple(net::use_awaitable));
  }
}

}  // namespace gpt_adapter::queue
