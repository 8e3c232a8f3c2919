#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/postgres/pool.hpp"
#include "common/redis/url.hpp"
#include "tools/admin/command_line.hpp"

namespace gpt_adapter::admin {

// Redis as the environment describes it: where to connect, or why the CLI cannot.
struct redis_target {
  std::optional<redis::connection_options> options;
  std::string unusable;  // without options: "REDIS_URL is not set", "REDIS_URL is invalid: ..."
};

// What a command runs with once its arguments are valid and the configuration is read.
struct admin_session {
  postgres::pool& database;
  redis_target redis;
  std::chrono::seconds job_record_ttl;  // JOB_RECORD_TTL_SECONDS, for replayed jobs' records
  std::ostream& out;
  std::ostream& err;
};

// A command with its arguments already validated, ready to run against the database.
using command_action = std::function<boost::asio::awaitable<void>(admin_session&)>;

// One CLI command: its declaration (for parsing and help) and how it turns valid arguments into
// an action. prepare does no I/O and throws invalid_input naming the offending option.
struct admin_command {
  command_spec spec;
  std::function<command_action(const parsed_arguments&)> prepare;
};

struct admin_command_group {
  std::string name;
  std::string summary;
  std::vector<admin_command> commands;
};

// A command that ran and could not do what was asked (exit status 1), e.g. an unknown
// application. The message is the one line shown to the operator.
class command_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace gpt_adapter::admin
