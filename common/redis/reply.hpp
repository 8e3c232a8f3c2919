#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace gpt_adapter::redis {

// Connection lost, timed out, not connected, client stopped, or a reply of an unexpected type.
class error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// Redis answered with an error reply; what() is Redis's text, e.g. "BUSYGROUP Consumer Group
// name already exists".
class reply_error : public error {
 public:
  using error::error;
  // The error code: the first word of the text ("BUSYGROUP", "WRONGTYPE", "ERR").
  std::string_view code() const;
};

// An owned copy of a hiredis reply: hiredis frees its own as soon as the callback returns.
struct reply {
  enum class kind { nil, status, error, integer, string, array };

  kind type = kind::nil;
  std::string text;  // string, status and error replies
  long long integer = 0;
  std::vector<reply> elements;

  bool is_nil() const { return type == kind::nil; }
  bool is_error() const { return type == kind::error; }
  // The text of a string or status reply; throws error for any other kind.
  const std::string& as_string() const;
  // The value of an integer reply; throws error for any other kind.
  long long as_integer() const;
  // The elements of an array reply; throws error for any other kind.
  const std::vector<reply>& as_array() const;
  // Throws reply_error if this is an error reply.
  void throw_if_error() const;

  static reply from_hiredis(const redisReply& source);
};

std::string_view to_string(reply::kind type);

}  // namespace gpt_adapter::redis
