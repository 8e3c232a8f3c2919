#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/auth/value_or_error.hpp"

namespace gpt_adapter::queue {

// forget deletes every memory of the job's end user.
enum class operation { search, create, get, list, update, remove, history, forget };

// The wire names: "delete" for remove (delete is a C++ keyword).
std::string_view to_string(operation op);
std::optional<operation> parse_operation(std::string_view text);

enum class job_status { queued, running, succeeded, failed, dead };

std::string_view to_string(job_status status);
std::optional<job_status> parse_job_status(std::string_view text);

// Stream entries carry milliseconds; finer precision would not survive a round trip.
using time_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

struct job {
  std::string request_id;
  operation op = operation::search;
  std::string application_id;
  std::optional<std::string> end_user_id;
  boost::json::object payload;
  int attempt = 1;
  time_point enqueued_at;
  time_point deadline;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> correlation_id;
  // An add or delete the Memory Bank accepted and is still processing, and how often it has
  // been polled: the job waits in the delayed set between polls, holding no worker slot.
  std::optional<std::string> memory_bank_event_id;
  int event_polls = 0;

  friend bool operator==(const job&, const job&) = default;
};

using stream_fields = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view schema_version = "1";

// The fields of one XADD, in a fixed order; absent optionals are left out.
stream_fields encode(const job& value);

// Why an entry is not a job, naming the field, so it can go to the dead-letter stream as is.
struct decode_error {
  std::string field;
  std::string message;
};

auth::value_or_error<job, decode_error> decode(const stream_fields& fields);

}  // namespace gpt_adapter::queue
