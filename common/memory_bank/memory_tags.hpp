#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/memory_bank/operations.hpp"

// The keys the adapter adds to the metadata of every memory it creates, so that each backend can
// filter by what the GPT-facing search offers with plain equality and numeric comparison, which
// every mem0 vector store supports (mem0 keeps lists as JSON text, so "categories contains x"
// cannot be asked of it), and so that a retried create can find what an earlier attempt stored.
// Every key starts with the reserved prefix; callers may not set such keys, and answers never
// show them. Pure.
namespace gpt_adapter::memory_bank {

inline constexpr std::string_view tag_prefix = "gpt_adapter_";
// The request id of the create that stored the memory.
inline constexpr std::string_view request_tag = "gpt_adapter_request_id";
// When the create was accepted, in whole seconds since the epoch.
inline constexpr std::string_view created_at_tag = "gpt_adapter_created_at";

// "gpt_adapter_category_" and the category, ASCII letters lowercased, other letters and digits
// kept, every other byte escaped as _xx (hex), so distinct categories never share a key and no
// key holds a character a vector store reads as a path (such as '.').
std::string category_tag(std::string_view category);

// The tags of a memory created by `context` with `categories`.
boost::json::object creation_tags(const attempt_context& context,
                                  const std::vector<std::string>& categories);

bool is_tag(std::string_view key);

// The metadata without the adapter's tags, as answers show it.
boost::json::object without_tags(const boost::json::object& metadata);

// Whether a memory satisfies the filter: categories by their tags, dates by the creation tag or,
// without one, the memory's created_at. The adapter checks this again after every search, so a
// backend that ignored part of a filter cannot return what the GPT excluded.
bool matches(const memory& found, const search_filter& filter);

}  // namespace gpt_adapter::memory_bank
