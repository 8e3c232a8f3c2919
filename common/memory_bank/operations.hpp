#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/auth/value_or_error.hpp"

// The adapter's own model of a Memory Bank operation, whatever the dialect: what a job asks
// for, what comes back, and the request to send. Pure data.
namespace gpt_adapter::memory_bank {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

// Who the request is for. It comes from the job's token identity, never from caller input:
// user_id is the end user's namespace in the Memory Bank.
struct owner {
  std::string user_id;
};

// What a GPT may narrow a search by. Categories match case-insensitively (ASCII), any of them;
// the dates bound the memory's creation time, both inclusive.
struct search_filter {
  std::vector<std::string> categories;
  std::optional<time_point> created_after;
  std::optional<time_point> created_before;

  bool empty() const { return categories.empty() && !created_after && !created_before; }
  bool operator==(const search_filter&) const = default;
};

struct search_input {
  std::string query;
  int limit = 10;
  search_filter filter;
};

struct create_input {
  std::string content;
  // The caller's metadata, categories and priority included; entity ids removed.
  boost::json::object metadata;
  std::vector<std::string> categories;
  // false: store the content verbatim, without mem0's fact extraction.
  bool infer = true;
};

struct get_input {
  std::string memory_id;
};

struct list_input {
  int page = 1;
  int page_size = 50;
};

struct update_input {
  std::string memory_id;
  std::string content;
  boost::json::object metadata;
};

struct delete_input {
  std::string memory_id;
};

struct history_input {
  std::string memory_id;
};

// Deletes every memory of the owner.
struct forget_input {};

using operation_input = std::variant<search_input, create_input, get_input, list_input,
                                     update_input, delete_input, history_input, forget_input>;

// The name of an operation in metrics and logs.
std::string_view operation_name(const operation_input& input);

// What one attempt of a job knows beyond its input.
struct attempt_context {
  std::string request_id;  // sent as X-Request-ID and tagged on created memories
  time_point enqueued_at;
  // An earlier attempt ran (a retry, or a delivery after a worker died): a create first looks
  // for memories that attempt may have stored before adding again.
  bool earlier_attempt_ran = false;
  // An add or delete the Memory Bank accepted and is still processing: this attempt polls it.
  std::optional<std::string> event_id;
};

// A request to send, without host, headers or I/O: target is the path plus the query string,
// already percent-encoded.
struct http_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;
  std::optional<boost::json::object> body;
};

enum class error_kind {
  invalid_input,       // the job cannot be turned into a request: not worth a retry
  malformed_response,  // the Memory Bank answered with a body of an unexpected shape
};

struct error {
  error_kind kind;
  std::string message;
};

template <typename T>
using result = auth::value_or_error<T, error>;

inline constexpr int max_search_limit = 100;
inline constexpr int max_page_size = 200;

// One memory as a dialect reports it.
struct memory {
  std::string memory_id;
  std::string content;
  std::optional<double> relevance_score;
  boost::json::object metadata;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
  // The namespace the Memory Bank reported the memory in; a memory without one is nobody's.
  std::optional<std::string> user_id;
};

// What mem0 did with an add: it may store, rewrite, merge or drop what it was sent.
enum class change_event { add, update, remove, none };

std::string_view to_string(change_event event);
std::optional<change_event> parse_change_event(std::string_view text);

struct memory_change {
  std::string memory_id;
  std::string content;
  change_event event = change_event::add;
  std::optional<std::string> previous_content;
};

struct history_entry {
  change_event event = change_event::add;
  std::optional<std::string> old_content;
  std::optional<std::string> new_content;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
};

// mem0 names every memory by a UUID (both dialects generate uuid4 ids): anything else is
// answered as not found without a call, since the servers answer it with a 400 or a 502.
bool is_memory_id(std::string_view text);

// mem0 refuses entity ids that are empty or hold whitespace, and the Platform reads "*" as
// "every user": such an owner is never sent.
bool is_sendable_entity_id(std::string_view text);

}  // namespace gpt_adapter::memory_bank
