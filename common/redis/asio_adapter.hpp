#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

struct redisAsyncContext;
struct redisReply;

namespace gpt_adapter::redis {

// Drives one hiredis async context from Asio: implements the context's `ev` hooks over a
// stream_descriptor that wraps (never owns) hiredis's socket, and turns reply callbacks into
// std::functions. Every member, and every hiredis call, must run on the executor given to
// attach() (the client's strand); socket readiness handlers run there too.
//
// hiredis frees the context itself when it detects an error inside redisAsyncHandleRead/Write;
// the `cleanup` hook tells us, and context() is null from then on.
class asio_adapter : public std::enable_shared_from_this<asio_adapter> {
 public:
  // Gets every reply exactly once: the reply, or nullptr with the reason when the context is
  // freed first. Runs inside hiredis: must not free the context or call into it.
  using reply_callback = std::function<void(const redisReply* reply, std::string_view failure)>;
  // Runs inside hiredis when it frees the context, with the error that caused it (empty when
  // we closed it ourselves). Same restrictions as reply_callback.
  using closed_callback = std::function<void(std::string_view error)>;

  // Takes ownership of `context` (connecting, without ev hooks yet) and starts driving it.
  static std::shared_ptr<asio_adapter> attach(boost::asio::any_io_executor executor,
                                              redisAsyncContext* context,
                                              closed_callback on_closed);

  ~asio_adapter();
  asio_adapter(const asio_adapter&) = delete;
  asio_adapter& operator=(const asio_adapter&) = delete;

  // Null once hiredis has freed the context.
  redisAsyncContext* context() const { return context_; }

  // Queues one binary-safe command. False when the context is gone or closing: the callback
  // is then never called.
  bool send(const std::vector<std::string>& args, reply_callback on_reply);

  // Frees the context: pending reply callbacks get nullptr with `reason`, then on_closed runs.
  // Must not be called from inside a hiredis callback.
  void close(std::string reason);

 private:
  asio_adapter(boost::asio::any_io_executor executor, redisAsyncContext* context,
               closed_callback on_closed);

  enum class direction { read, write };

  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);
  static void on_reply(redisAsyncContext* context, void* reply, void* privdata);

  void arm(direction which);
  void on_ready(direction which, const boost::system::error_code& error);
  std::string failure_reason() const;

  redisAsyncContext* context_;
  boost::asio::posix::stream_descriptor socket_;
  closed_callback on_closed_;
  std::string close_reason_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
};

}  // namespace gpt_adapter::redis
