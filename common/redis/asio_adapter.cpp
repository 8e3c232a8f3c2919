#include "common/redis/asio_adapter.hpp"

#include <utility>

#include <boost/asio/error.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace gpt_adapter::redis {

std::shared_ptr<asio_adapter> asio_adapter::attach(boost::asio::any_io_executor executor,
                                                   redisAsyncContext* context,
                                                   closed_callback on_closed) {
  std::shared_ptr<asio_adapter> adapter;
  try {
    adapter.reset(new asio_adapter(std::move(executor), context, std::move(on_closed)));
  } catch (...) {
    redisAsyncFree(context);
    throw;
  }
  context->ev.data = adapter.get();
  context->ev.addRead = &asio_adapter::add_read;
  context->ev.delRead = &asio_adapter::del_read;
  context->ev.addWrite = &asio_adapter::add_write;
  context->ev.delWrite = &asio_adapter::del_write;
  context->ev.cleanup = &asio_adapter::cleanup;
  return adapter;
}

asio_adapter::asio_adapter(boost::asio::any_io_executor executor, redisAsyncContext* context,
                           closed_callback on_closed)
    : context_(context),
      socket_(std::move(executor), context->c.fd),
      on_closed_(std::move(on_closed)) {}

asio_adapter::~asio_adapter() {
  if (context_ != nullptr) {
    // The owner is going away: nobody is left to hear about the close.
    on_closed_ = nullptr;
    close("redis client destroyed");
  }
}

bool asio_adapter::send(const std::vector<std::string>& args, reply_callback on_reply) {
  if (context_ == nullptr || args.empty()) {
    return false;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto callback = std::make_unique<reply_callback>(std::move(on_reply));
  if (redisAsyncCommandArgv(context_, &asio_adapter::on_reply, callback.get(),
                            static_cast<int>(args.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    return false;
  }
  // hiredis now holds it and calls on_reply exactly once, which deletes it.
  callback.release();
  return true;
}

void asio_adapter::close(std::string reason) {
  if (context_ == nullptr) {
    return;
  }
  close_reason_ = std::move(reason);
  // Runs the pending reply callbacks and then `cleanup`, which clears context_.
  redisAsyncFree(context_);
}

std::string asio_adapter::failure_reason() const {
  if (!close_reason_.empty()) {
    return close_reason_;
  }
  if (context_ != nullptr && context_->c.err != 0) {
    return context_->c.errstr;
  }
  return "connection closed";
}

void asio_adapter::arm(direction which) {
  bool& armed = which == direction::read ? read_armed_ : write_armed_;
  if (armed || context_ == nullptr) {
    return;
  }
  armed = true;
  socket_.async_wait(which == direction::read ? boost::asio::posix::descriptor_base::wait_read
                                              : boost::asio::posix::descriptor_base::wait_write,
                     [weak = weak_from_this(), which](const boost::system::error_code& error) {
                       // Weak: dropping the owner closes the connection, pending waits or not.
                       if (auto self = weak.lock()) {
                         self->on_ready(which, error);
                       }
                     });
}

void asio_adapter::on_ready(direction which, const boost::system::error_code& error) {
  (which == direction::read ? read_armed_ : write_armed_) = false;
  // Aborted waits come from releasing the socket when hiredis freed the context.
  if (error || context_ == nullptr) {
    return;
  }
  if (which == direction::read ? want_read_ : want_write_) {
    // May free the context (any I/O or protocol error): context_ is null afterwards then.
    if (which == direction::read) {
      redisAsyncHandleRead(context_);
    } else {
      redisAsyncHandleWrite(context_);
    }
  }
  // hiredis re-adds interest after each successful read or write, but not while a
  // non-blocking connect is still in progress: an interest it left standing is kept armed.
  if (context_ != nullptr && (which == direction::read ? want_read_ : want_write_)) {
    arm(which);
  }
}

void asio_adapter::add_read(void* self) {
  auto* adapter = static_cast<asio_adapter*>(self);
  adapter->want_read_ = true;
  adapter->arm(direction::read);
}

void asio_adapter::del_read(void* self) {
  static_cast<asio_adapter*>(self)->want_read_ = false;
}

void asio_adapter::add_write(void* self) {
  auto* adapter = static_cast<asio_adapter*>(self);
  adapter->want_write_ = true;
  adapter->arm(direction::write);
}

void asio_adapter::del_write(void* self) {
  static_cast<asio_adapter*>(self)->want_write_ = false;
}

void asio_adapter::cleanup(void* self) {
  auto* adapter = static_cast<asio_adapter*>(self);
  const std::string reason = adapter->failure_reason();
  adapter->want_read_ = false;
  adapter->want_write_ = false;
  // hiredis closes the socket right after this hook: take it out of the reactor first (pending
  // waits complete with operation_aborted) so that it is neither closed twice nor watched after
  // its number is reused.
  adapter->socket_.release();
  adapter->context_ = nullptr;
  if (auto on_closed = std::exchange(adapter->on_closed_, nullptr)) {
    on_closed(reason);
  }
}

void asio_adapter::on_reply(redisAsyncContext* context, void* reply, void* privdata) {
  const std::unique_ptr<reply_callback> callback(static_cast<reply_callback*>(privdata));
  const auto* adapter = static_cast<const asio_adapter*>(context->ev.data);
  // Exceptions must not unwind through hiredis's C frames; the callbacks do not throw but
  // allocate, and a lost reply only means its command times out.
  try {
    if (reply != nullptr) {
      (*callback)(static_cast<const redisReply*>(reply), {});
    } else {
      (*callback)(nullptr, adapter->failure_reason());
    }
  } catch (...) {
  }
}

}  // namespace gpt_adapter::redis
