#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/redis/reply.hpp"

// Decoding of the replies of the stream commands (XREADGROUP, XRANGE, XAUTOCLAIM, XINFO), which
// every stream consumer in the project needs in the same shape. Pure: throws redis::error when
// a reply does not have the documented shape.
namespace gpt_adapter::redis {

using field_list = std::vector<std::pair<std::string, std::string>>;

struct stream_entry {
  std::string id;
  field_list fields;
  // A pending id (read back from the consumer's own PEL with XREADGROUP ... 0) whose entry was
  // deleted from the stream meanwhile: there are no fields, only the id to acknowledge.
  bool deleted = false;
};

// XRANGE / XREVRANGE / XCLAIM: an array of [id, [field, value, ...]].
std::vector<stream_entry> parse_entries(const reply& answer);

// XREAD / XREADGROUP on one stream: nil (nothing within BLOCK) or [[stream, entries]].
std::vector<stream_entry> parse_read(const reply& answer);

struct autoclaim_result {
  std::string next_cursor;  // "0-0" when the scan of the PEL is complete
  std::vector<stream_entry> entries;
  std::vector<std::string> deleted_ids;  // Redis 7: pending ids whose entries no longer exist
};

// XPENDING's extended form ([[id, consumer, idle ms, deliveries], ...]): the delivery count of
// the first entry, or nothing when no entry is pending.
std::optional<std::int64_t> parse_pending_deliveries(const reply& answer);

// XAUTOCLAIM: [cursor, entries] (Redis 6.2) or [cursor, entries, deleted ids] (Redis 7).
autoclaim_result parse_autoclaim(const reply& answer);

// A flat array of alternating names and values (XINFO GROUPS / CONSUMERS / STREAM items) as
// name/value pairs; values that are not strings or integers are skipped.
struct info_value {
  std::string text;                  // string or status values
  std::optional<long long> integer;  // integer values
  bool nil = false;                  // e.g. XINFO GROUPS `lag` when Redis cannot tell
};
std::vector<std::pair<std::string, info_value>> parse_info_map(const reply& answer);

// The millisecond part of a stream id ("1700000000000-3" -> 1700000000000); nullopt when the
// text is not a stream id.
std::optional<std::int64_t> stream_id_milliseconds(std::string_view id);

}  // namespace gpt_adapter::redis
