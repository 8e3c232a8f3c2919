#include "common/redis/stream_reply.hpp"

#include <charconv>

namespace gpt_adapter::redis {
namespace {

stream_entry parse_entry(const reply& item) {
  const auto& parts = item.as_array();
  if (parts.size() != 2) {
    throw error("stream entry has " + std::to_string(parts.size()) + " elements, expected 2");
  }
  stream_entry entry{.id = parts[0].as_string()};
  if (parts[1].is_nil()) {
    entry.deleted = true;
    return entry;
  }
  const auto& flat = parts[1].as_array();
  if (flat.size() % 2 != 0) {
    throw error("stream entry " + entry.id + " has an odd number of field elements");
  }
  entry.fields.reserve(flat.size() / 2);
  for (std::size_t i = 0; i < flat.size(); i += 2) {
    entry.fields.emplace_back(flat[i].as_string(), flat[i + 1].as_string());
  }
  return entry;
}

}  // namespace

std::vector<stream_entry> parse_entries(const reply& answer) {
  std::vector<stream_entry> entries;
  if (answer.is_nil()) {
    return entries;
  }
  for (const auto& item : answer.as_array()) {
    entries.push_back(parse_entry(item));
  }
  return entries;
}

std::vector<stream_entry> parse_read(const reply& answer) {
  if (answer.is_nil()) {
    return {};
  }
  const auto& streams = answer.as_array();
  if (streams.empty()) {
    return {};
  }
  if (streams.size() != 1) {
    throw error("read reply covers " + std::to_string(streams.size()) + " streams, expected 1");
  }
  const auto& stream = streams[0].as_array();
  if (stream.size() != 2) {
    throw error("read reply for a stream has " + std::to_string(stream.size()) +
                " elements, expected 2");
  }
  return parse_entries(stream[1]);
}

std::optional<std::int64_t> parse_pending_deliveries(const reply& answer) {
  const auto& entries = answer.as_array();
  if (entries.empty()) {
    return std::nullopt;
  }
  const auto& entry = entries.front().as_array();
  if (entry.size() != 4) {
    throw error("XPENDING entry has " + std::to_string(entry.size()) + " elements");
  }
  return entry[3].as_integer();
}

autoclaim_result parse_autoclaim(const reply& answer) {
  const auto& parts = answer.as_array();
  if (parts.size() != 2 && parts.size() != 3) {
    throw error("XAUTOCLAIM reply has " + std::to_string(parts.size()) + " elements");
  }
  autoclaim_result result{.next_cursor = parts[0].as_string(), .entries = parse_entries(parts[1])};
  if (parts.size() == 3) {
    for (const auto& id : parts[2].as_array()) {
      result.deleted_ids.push_back(id.as_string());
    }
  }
  // A claimed id whose entry is gone comes back as [id, nil] on 6.2: report it as deleted.
  std::erase_if(result.entries, [&](const stream_entry& entry) {
    if (entry.deleted) {
      result.deleted_ids.push_back(entry.id);
    }
    return entry.deleted;
  });
  return result;
}

std::vector<std::pair<std::string, info_value>> parse_info_map(const reply& answer) {
  const auto& flat = answer.as_array();
  if (flat.size() % 2 != 0) {
    throw error("info reply has an odd number of elements");
  }
  std::vector<std::pair<std::string, info_value>> values;
  for (std::size_t i = 0; i < flat.size(); i += 2) {
    const auto& value = flat[i + 1];
    info_value converted;
    switch (value.type) {
      case reply::kind::string:
      case reply::kind::status:
        converted.text = value.text;
        break;
      case reply::kind::integer:
        converted.integer = value.integer;
        break;
      case reply::kind::nil:
        converted.nil = true;
        break;
      default:
        continue;
    }
    values.emplace_back(flat[i].as_string(), std::move(converted));
  }
  return values;
}

std::optional<std::int64_t> stream_id_milliseconds(std::string_view id) {
  const auto dash = id.find('-');
  const auto millis = id.substr(0, dash);
  std::int64_t value = 0;
  const auto [end, failure] = std::from_chars(millis.data(), millis.data() + millis.size(), value);
  if (millis.empty() || failure != std::errc{} || end != millis.data() + millis.size()) {
    return std::nullopt;
  }
  if (dash != std::string_view::npos) {
    const auto sequence = id.substr(dash + 1);
    std::uint64_t ignored = 0;
    const auto [sequence_end, sequence_failure] =
        std::from_chars(sequence.data(), sequence.data() + sequence.size(), ignored);
    if (sequence.empty() || sequence_failure != std::errc{} ||
        sequence_end != sequence.data() + sequence.size()) {
      return std::nullopt;
    }
  }
  return value;
}

}  // namespace gpt_adapter::redis
