#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/auth/value_or_error.hpp"

// The bodies and query strings a Custom GPT sends to the memory endpoints, checked field by
// field. Pure: the route handlers turn a failure into a 422 problem listing every failing field.
namespace gpt_adapter::api::memory {

// One failing field: `pointer` is a JSON Pointer into the request body (RFC 6901, in the URI
// fragment form of RFC 9457's example, e.g. "#/filters/date_range/start"), or the name of a
// query parameter or path segment.
struct field_error {
  std::string pointer;
  std::string detail;

  bool operator==(const field_error&) const = default;
};

using field_errors = std::vector<field_error>;

template <typename T>
using validated = auth::value_or_error<T, field_errors>;

// Limits, in Unicode code points for text. ChatGPT cuts an answer at 100,000 characters, so
// anything a GPT may store is well under that.
inline constexpr std::size_t max_query_chars = 2000;
inline constexpr int max_search_limit = 50;
inline constexpr int default_search_limit = 10;
inline constexpr std::size_t max_content_chars = 10000;
inline constexpr std::size_t max_metadata_bytes = 8192;
inline constexpr std::size_t max_categories = 20;
inline constexpr std::size_t max_category_chars = 100;
inline constexpr std::size_t max_context_id_chars = 200;
inline constexpr std::size_t max_idempotency_key_chars = 255;
inline constexpr std::size_t max_memory_id_chars = 200;
inline constexpr int max_list_limit = 100;
inline constexpr int default_list_limit = 20;

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Where the GPT was when it called: recorded for the audit trail, never used for access.
struct call_context {
  std::optional<std::string> custom_gpt_id;
  std::optional<std::string> conversation_id;

  bool operator==(const call_context&) const = default;
};

struct search_request {
  std::string query;
  int limit = default_search_limit;
  std::vector<std::string> categories;
  std::optional<timestamp> created_after;   // filters.date_range.start, inclusive
  std::optional<timestamp> created_before;  // filters.date_range.end, inclusive
  call_context context;

  bool operator==(const search_request&) const = default;
};

enum class priority { low, normal, high };

std::string_view to_string(priority value);

struct create_request {
  std::string content;
  boost::json::object metadata;
  std::vector<std::string> categories;
  std::optional<memory::priority> priority;
  // false: stored verbatim, without the Memory Bank's fact extraction.
  bool infer = true;
  call_context context;
  std::optional<std::string> idempotency_key;

  bool operator==(const create_request&) const = default;
};

struct update_request {
  std::string memory_id;
  std::string content;
  boost::json::object metadata;

  bool operator==(const update_request&) const = default;
};

struct list_request {
  int limit = default_list_limit;
  int page = 1;  // from the opaque cursor

  bool operator==(const list_request&) const = default;
};

// Bodies must be JSON objects; fields not listed here are ignored (models add fields freely).
validated<search_request> parse_search_request(const boost::json::value& body);
validated<create_request> parse_create_request(const boost::json::value& body);
validated<update_request> parse_update_request(std::string_view memory_id,
                                               const boost::json::value& body);
// Query parameters `limit` and `cursor` (absent parameters are std::nullopt).
validated<list_request> parse_list_request(std::optional<std::string_view> limit,
                                           std::optional<std::string_view> cursor);
// A memory id from the path: non-empty, bounded, printable ASCII.
validated<std::string> parse_memory_id(std::string_view memory_id);

// The `Idempotency-Key` header and the body's `idempotency_key` name the same thing: either may
// be given; both with different values is an error, as is a malformed key.
validated<std::optional<std::string>> resolve_idempotency_key(
    std::optional<std::string_view> header, const std::optional<std::string>& body_key);

// The opaque cursor of the next page after `page`, and the page a cursor names.
std::string encode_cursor(int page);
std::optional<int> decode_cursor(std::string_view cursor);

// The payloads the worker reads (memory_bank::parse_operation_input).
boost::json::object to_job_payload(const search_request& request);
boost::json::object to_job_payload(const create_request& request);
boost::json::object to_job_payload(const update_request& request);
boost::json::object to_job_payload(const list_request& request);
boost::json::object memory_id_payload(const std::string& memory_id);

// The number of Unicode code points in valid UTF-8 (what "characters" means in the limits).
std::size_t count_code_points(std::string_view utf8);

}  // namespace gpt_adapter::api::memory
