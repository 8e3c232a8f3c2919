#include "api/memory/memory_requests.hpp"

#include <charconv>

#include <boost/json/serialize.hpp>

#include "common/auth/base64.hpp"
#include "common/memory_bank/memory_tags.hpp"
#include "common/text/rfc3339.hpp"

namespace gpt_adapter::api::memory {
namespace {

namespace json = boost::json;

// A member name as one JSON Pointer reference token (RFC 6901 section 3).
std::string pointer_token(std::string_view name) {
  std::string token;
  for (const char c : name) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

// Collects the failures of one request while its fields are read.
class checker {
 public:
  void fail(std::string pointer, std::string detail) {
    errors_.push_back({std::move(pointer), std::move(detail)});
  }
  bool failed() const { return !errors_.empty(); }
  field_errors take() { return std::move(errors_); }

  // A string field within [min_chars, max_chars] code points; nullopt (recorded) otherwise.
  std::optional<std::string> text(const json::value& value, const std::string& pointer,
                                  std::size_t min_chars, std::size_t max_chars) {
    if (!value.is_string()) {
      fail(pointer, "must be a string");
      return std::nullopt;
    }
    const auto& content = value.as_string();
    const auto chars = count_code_points(content);
    if (chars < min_chars) {
      fail(pointer, min_chars == 1
                        ? "must not be empty"
                        : "must be at least " + std::to_string(min_chars) + " characters");
      return std::nullopt;
    }
    if (chars > max_chars) {
      fail(pointer, "must be at most " + std::to_string(max_chars) + " characters");
      return std::nullopt;
    }
    return std::string(content);
  }

  std::optional<int> integer(const json::value& value, const std::string& pointer, int min,
                             int max) {
    std::optional<std::int64_t> number;
    if (value.is_int64()) {
      number = value.as_int64();
    } else if (value.is_uint64()) {
      number = value.as_uint64() > static_cast<std::uint64_t>(max)
                   ? std::int64_t{max} + 1
                   : static_cast<std::int64_t>(value.as_uint64());
    }
    if (!number || *number < min || *number > max) {
      fail(pointer,
           "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return static_cast<int>(*number);
  }

  std::vector<std::string> categories(const json::value& value, const std::string& pointer) {
    std::vector<std::string> out;
    if (!value.is_array()) {
      fail(pointer, "must be an array of strings");
      return out;
    }
    const auto& items = value.as_array();
    if (items.size() > max_categories) {
      fail(pointer, "must have at most " + std::to_string(max_categories) + " entries");
      return out;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto category =
              text(items[i], pointer + "/" + std::to_string(i), 1, max_category_chars)) {
        out.push_back(std::move(*category));
      }
    }
    return out;
  }

  json::object metadata(const json::value& value, const std::string& pointer) {
    if (!value.is_object()) {
      fail(pointer, "must be an object");
      return {};
    }
    if (json::serialize(value).size() > max_metadata_bytes) {
      fail(pointer, "must be at most " + std::to_string(max_metadata_bytes) + " bytes as JSON");
      return {};
    }
    for (const auto& [key, unused] : value.as_object()) {
      if (memory_bank::is_tag(key)) {
        fail(pointer + "/" + pointer_token(key), "is reserved: keys starting with " +
                                                     std::string(memory_bank::tag_prefix) +
                                                     " are the adapter's own");
      }
    }
    return value.as_object();
  }

  call_context context(const json::object& body) {
    call_context out;
    const auto* value = body.if_contains("context");
    if (value == nullptr || value->is_null())
      return out;
    if (!value->is_object()) {
      fail("#/context", "must be an object");
      return out;
    }
    const auto& fields = value->as_object();
    if (const auto* id = fields.if_contains("custom_gpt_id"); id && !id->is_null()) {
      out.custom_gpt_id = text(*id, "#/context/custom_gpt_id", 1, max_context_id_chars);
    }
    if (const auto* id = fields.if_contains("conversation_id"); id && !id->is_null()) {
      out.conversation_id = text(*id, "#/context/conversation_id", 1, max_context_id_chars);
    }
    return out;
  }

 private:
  field_errors errors_;
};

// A present, non-null member, or nullptr.
const json::value* member(const json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  return value == nullptr || value->is_null() ? nullptr : value;
}

field_errors not_an_object() {
  return {{"#", "the body must be a JSON object"}};
}

bool printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e)
      return false;
  }
  return true;
}

void read_date_range(checker& check, const json::value& value, search_request& request) {
  if (!value.is_object()) {
    check.fail("#/filters/date_range", "must be an object with start and/or end");
    return;
  }
  const auto& range = value.as_object();
  const auto read_bound = [&](std::string_view name) -> std::optional<timestamp> {
    const auto* bound = member(range, name);
    if (bound == nullptr)
      return std::nullopt;
    const auto pointer = "#/filters/date_range/" + std::string(name);
    if (!bound->is_string()) {
      check.fail(pointer, "must be an RFC 3339 date-time string");
      return std::nullopt;
    }
    auto parsed = text::parse_rfc3339(bound->as_string());
    if (!parsed)
      check.fail(pointer, "must be an RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z");
    return parsed;
  };
  request.created_after = read_bound("start");
  request.created_before = read_bound("end");
  if (request.created_after && request.created_before &&
      *request.created_after > *request.created_before) {
    check.fail("#/filters/date_range", "start must not be after end");
  }
}

json::array to_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& value : values)
    out.emplace_back(value);
  return out;
}

}  // namespace

std::string_view to_string(priority value) {
  switch (value) {
    case priority::low:
      return "low";
    case priority::normal:
      return "normal";
    case priority::high:
      return "high";
  }
  return "normal";
}

std::size_t count_code_points(std::string_view utf8) {
  std::size_t count = 0;
  for (const char c : utf8) {
    // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80)
      ++count;
  }
  return count;
}

validated<search_request> parse_search_request(const json::value& body) {
  if (!body.is_object())
    return not_an_object();
  const auto& fields = body.as_object();
  checker check;
  search_request request;

  if (const auto* query = member(fields, "query")) {
    if (auto text = check.text(*query, "#/query", 1, max_query_chars))
      request.query = *text;
  } else {
    check.fail("#/query", "is required");
  }
  if (const auto* limit = member(fields, "limit")) {
    if (auto value = check.integer(*limit, "#/limit", 1, max_search_limit))
      request.limit = *value;
  }
  if (const auto* filters = member(fields, "filters")) {
    if (!filters->is_object()) {
      check.fail("#/filters", "must be an object");
    } else {
      const auto& filter_fields = filters->as_object();
      if (const auto* categories = member(filter_fields, "categories")) {
        request.categories = check.categories(*categories, "#/filters/categories");
      }
      if (const auto* range = member(filter_fields, "date_range")) {
        read_date_range(check, *range, request);
      }
    }
  }
  request.context = check.context(fields);
  if (check.failed())
    return check.take();
  return request;
}

validated<create_request> parse_create_request(const json::value& body) {
  if (!body.is_object())
    return not_an_object();
  const auto& fields = body.as_object();
  checker check;
  create_request request;

  if (const auto* content = member(fields, "content")) {
    if (auto text = check.text(*content, "#/content", 1, max_content_chars)) {
      request.content = *text;
    }
  } else {
    check.fail("#/content", "is required");
  }
  if (const auto* metadata = member(fields, "metadata")) {
    request.metadata = check.metadata(*metadata, "#/metadata");
  }
  if (const auto* categories = member(fields, "categories")) {
    request.categories = check.categories(*categories, "#/categories");
  }
  if (const auto* level = member(fields, "priority")) {
    const std::string_view text = level->is_string() ? std::string_view(level->as_string()) : "";
    if (text == "low") {
      request.priority = priority::low;
    } else if (text == "normal") {
      request.priority = priority::normal;
    } else if (text == "high") {
      request.priority = priority::high;
    } else {
      check.fail("#/priority", "must be one of low, normal, high");
    }
  }
  if (const auto* infer = member(fields, "infer")) {
    if (infer->is_bool()) {
      request.infer = infer->as_bool();
    } else {
      check.fail("#/infer", "must be true or false");
    }
  }
  request.context = check.context(fields);
  if (const auto* key = member(fields, "idempotency_key")) {
    auto text = check.text(*key, "#/idempotency_key", 1, max_idempotency_key_chars);
    if (text && !printable_ascii(*text)) {
      check.fail("#/idempotency_key", "must be printable ASCII without spaces");
    } else {
      request.idempotency_key = std::move(text);
    }
  }
  if (check.failed())
    return check.take();
  return request;
}

validated<update_request> parse_update_request(std::string_view memory_id,
                                               const json::value& body) {
  checker check;
  update_request request;
  auto id = parse_memory_id(memory_id);
  if (id) {
    request.memory_id = id.value();
  } else {
    for (const auto& error : id.error())
      check.fail(error.pointer, error.detail);
  }
  if (!body.is_object()) {
    for (auto& error : not_an_object())
      check.fail(error.pointer, error.detail);
    return check.take();
  }
  const auto& fields = body.as_object();
  if (const auto* content = member(fields, "content")) {
    if (auto text = check.text(*content, "#/content", 1, max_content_chars)) {
      request.content = *text;
    }
  } else {
    check.fail("#/content", "is required");
  }
  if (const auto* metadata = member(fields, "metadata")) {
    request.metadata = check.metadata(*metadata, "#/metadata");
  }
  if (check.failed())
    return check.take();
  return request;
}

validated<list_request> parse_list_request(std::optional<std::string_view> limit,
                                           std::optional<std::string_view> cursor) {
  field_errors errors;
  list_request request;
  if (limit) {
    int value = 0;
    const auto* end = limit->data() + limit->size();
    const auto [stop, failure] = std::from_chars(limit->data(), end, value);
    if (limit->empty() || failure != std::errc() || stop != end || value < 1 ||
        value > max_list_limit) {
      errors.push_back({"limit", "must be an integer from 1 to " + std::to_string(max_list_limit)});
    } else {
      request.limit = value;
    }
  }
  if (cursor) {
    if (const auto page = decode_cursor(*cursor)) {
      request.page = *page;
    } else {
      errors.push_back({"cursor", "is not a cursor this API returned"});
    }
  }
  if (!errors.empty())
    return errors;
  return request;
}

validated<std::string> parse_memory_id(std::string_view memory_id) {
  if (memory_id.empty() || memory_id.size() > max_memory_id_chars || !printable_ascii(memory_id)) {
    return field_errors{{"memory_id", "must be 1 to " + std::to_string(max_memory_id_chars) +
                                          " printable ASCII characters"}};
  }
  return std::string(memory_id);
}

validated<std::optional<std::string>> resolve_idempotency_key(
    std::optional<std::string_view> header, const std::optional<std::string>& body_key) {
  if (!header)
    return body_key;
  if (header->empty() || header->size() > max_idempotency_key_chars || !printable_ascii(*header)) {
    return field_errors{{"Idempotency-Key", "must be 1 to " +
                                                std::to_string(max_idempotency_key_chars) +
                                                " printable ASCII characters"}};
  }
  if (body_key && *body_key != *header) {
    return field_errors{
        {"#/idempotency_key", "differs from the Idempotency-Key header; send one or the other"}};
  }
  return std::optional<std::string>(std::string(*header));
}

std::string encode_cursor(int page) {
  return auth::encode_base64url("page:" + std::to_string(page));
}

std::optional<int> decode_cursor(std::string_view cursor) {
  const auto decoded = auth::decode_base64url(cursor);
  if (!decoded || !decoded->starts_with("page:"))
    return std::nullopt;
  const std::string_view digits = std::string_view(*decoded).substr(5);
  int page = 0;
  const auto* end = digits.data() + digits.size();
  const auto [stop, failure] = std::from_chars(digits.data(), end, page);
  if (digits.empty() || failure != std::errc() || stop != end || page < 1 || page > 100000) {
    return std::nullopt;
  }
  return page;
}

json::object to_job_payload(const search_request& request) {
  json::object filters;
  if (!request.categories.empty())
    filters["categories"] = to_array(request.categories);
  if (request.created_after || request.created_before) {
    json::object range;
    if (request.created_after) {
      range["start"] = text::format_rfc3339(*request.created_after);
    }
    if (request.created_before) {
      range["end"] = text::format_rfc3339(*request.created_before);
    }
    filters["date_range"] = std::move(range);
  }
  return {{"query", request.query}, {"limit", request.limit}, {"filters", std::move(filters)}};
}

json::object to_job_payload(const create_request& request) {
  json::object payload{
      {"content", request.content}, {"metadata", request.metadata}, {"infer", request.infer}};
  if (!request.categories.empty())
    payload["categories"] = to_array(request.categories);
  if (request.priority)
    payload["priority"] = to_string(*request.priority);
  return payload;
}

json::object to_job_payload(const update_request& request) {
  return {{"memory_id", request.memory_id},
          {"content", request.content},
          {"metadata", request.metadata}};
}

json::object to_job_payload(const list_request& request) {
  return {{"page", request.page}, {"page_size", request.limit}};
}

json::object memory_id_payload(const std::string& memory_id) {
  return {{"memory_id", memory_id}};
}

}  // namespace gpt_adapter::api::memory
