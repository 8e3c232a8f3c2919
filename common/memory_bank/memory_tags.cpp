#include "common/memory_bank/memory_tags.hpp"

#include <algorithm>

#include "common/text/rfc3339.hpp"

namespace gpt_adapter::memory_bank {
namespace {

constexpr std::string_view category_prefix = "gpt_adapter_category_";

std::int64_t epoch_seconds(time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::optional<std::int64_t> integer_at(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_int64()) {
    return value->as_int64();
  }
  if (value->is_uint64()) {
    return static_cast<std::int64_t>(value->as_uint64());
  }
  if (value->is_double()) {
    return static_cast<std::int64_t>(value->as_double());
  }
  return std::nullopt;
}

// When the memory was created, in whole seconds: the adapter's tag, or else what the Memory Bank
// reports (memories stored by other clients of the same Memory Bank have no tag).
std::optional<std::int64_t> created_seconds(const memory& found) {
  if (auto tagged = integer_at(found.metadata, created_at_tag)) {
    return tagged;
  }
  if (found.created_at) {
    if (const auto parsed = text::parse_rfc3339(*found.created_at)) {
      return epoch_seconds(*parsed);
    }
  }
  return std::nullopt;
}

bool is_true(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->as_bool();
}

}  // namespace

std::string category_tag(std::string_view category) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string key(category_prefix);
  for (const char raw : category) {
    const auto byte = static_cast<unsigned char>(raw);
    if (byte >= 'A' && byte <= 'Z') {
      key += static_cast<char>(byte - 'A' + 'a');
    } else if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
      key += raw;
    } else {
      key += '_';
      key += hex[byte >> 4];
      key += hex[byte & 0x0f];
    }
  }
  return key;
}

boost::json::object creation_tags(const attempt_context& context,
                                  const std::vector<std::string>& categories) {
  boost::json::object tags{{request_tag, context.request_id},
                           {created_at_tag, epoch_seconds(context.enqueued_at)}};
  for (const auto& category : categories) {
    tags[category_tag(category)] = true;
  }
  return tags;
}

bool is_tag(std::string_view key) {
  return key.starts_with(tag_prefix);
}

boost::json::object without_tags(const boost::json::object& metadata) {
  boost::json::object shown;
  for (const auto& [key, value] : metadata) {
    if (!is_tag(key)) {
      shown.emplace(key, value);
    }
  }
  return shown;
}

bool matches(const memory& found, const search_filter& filter) {
  if (!filter.categories.empty() &&
      std::none_of(filter.categories.begin(), filter.categories.end(), [&](const auto& category) {
        return is_true(found.metadata, category_tag(category));
      })) {
    return false;
  }
  if (filter.created_after || filter.created_before) {
    const auto created = created_seconds(found);
    if (!created) {
      return false;
    }
    // Whole seconds, the tag's precision, on both sides.
    if (filter.created_after && *created < epoch_seconds(*filter.created_after)) {
      return false;
    }
    if (filter.created_before && *created > epoch_seconds(*filter.created_before)) {
      return false;
    }
  }
  return true;
}

}  // namespace gpt_adapter::memory_bank
