#pragma once

#include <stdexcept>
#include <string>

struct pg_result;

namespace gpt_adapter::postgres {

// A failed query or connection. `sqlstate` is the server's five-character code (for example
// 23505 unique_violation, 42501 insufficient_privilege); it is empty when no server answered
// (connection lost, timeout while connecting, pool exhausted).
class error : public std::runtime_error {
 public:
  explicit error(const std::string& message, std::string sqlstate = {},
                 std::string constraint = {});

  // From a PGRES_FATAL_ERROR result; the message is the server's primary message only, so
  // values quoted in DETAIL lines (which may be request data) stay out of logs.
  static error from_result(const pg_result* result);

  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The violated constraint's name for integrity errors, empty otherwise.
  const std::string& constraint() const noexcept { return constraint_; }

 private:
  std::string sqlstate_;
  std::string constraint_;
};

// SQLSTATEs that mean the session is gone: class 08 (connection exception) and the
// shutdown codes 57P01..57P03. The connection must be discarded after one of these.
bool is_connection_failure(const std::string& sqlstate);

}  // namespace gpt_adapter::postgres
