#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/auth/value_or_error.hpp"

namespace gpt_adapter::memory_bank {

// The three REST shapes a Memory Bank deployment may expose (MEMORY_BANK_DIALECT).
enum class dialect { mem0_platform, mem0_oss, openmemory };

std::string_view to_string(dialect value);
std::optional<dialect> parse_dialect(std::string_view text);

// Who the request is for. Both come from the job's token identity, never from caller input:
// user_id is the end user's namespace in the Memory Bank, app names the calling application
// where a dialect records one (OpenMemory).
struct owner {
  std::string user_id;
  std::string app;
};

struct search_input {
  std::string query;
  int limit = 10;
  boost::json::object filters;
};

struct create_input {
  std::string content;
  boost::json::object metadata;
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

using operation_input =
    std::variant<search_input, create_input, get_input, list_input, update_input, delete_input>;

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
  not_found,           // no such memory for this user (including another user's memory)
};

struct error {
  error_kind kind;
  std::string message;
};

inline constexpr int max_search_limit = 100;
inline constexpr int max_page_size = 100;

// Builds the request for one operation. Entity ids (user_id, agent_id, run_id, app_id) found
// in caller-supplied filters or metadata are removed, at any depth, and the owner's user_id is
// set, so no caller can reach another user's namespace.
auth::value_or_error<http_request, error> build_request(dialect shape, const owner& who,
                                                        const operation_input& input);

// One memory in the adapter's internal form, whatever the dialect.
struct memory {
  std::string memory_id;
  std::string content;
  std::optional<double> relevance_score;
  boost::json::object metadata;
  std::optional<std::string> created_at;
  // The namespace the Memory Bank reported the memory in, when it said.
  std::optional<std::string> user_id;
};

// Reads a search or list answer: a JSON array of memories, or an object holding one under
// "results", "items" or "memories" (the dialects differ, and versions within them).
auth::value_or_error<std::vector<memory>, error> parse_memories(const boost::json::value& body);

// Reads a get or update answer: one memory object.
auth::value_or_error<memory, error> parse_memory(const boost::json::value& body);

// Get and update address a memory by id alone, so a Memory Bank answers for any user's memory:
// a memory that reports a different user_id is answered as not found, which reveals nothing
// about whether it exists.
std::optional<error> check_owner(const memory& found, std::string_view expected_user_id);

}  // namespace gpt_adapter::memory_bank
