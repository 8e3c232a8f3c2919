#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

// The dev Memory Bank's data, shared by both dialects it speaks: memories kept in memory,
// optionally mirrored to a JSON-lines file that is replayed at start. Safe to use from several
// threads.
namespace gpt_adapter::memory_bank_dev {

// The entity ids mem0 scopes memories by; an empty id is "not given".
struct entity {
  std::string user_id;
  std::string agent_id;
  std::string run_id;
  std::string app_id;  // the Platform only

  bool any() const {
    return !user_id.empty() || !agent_id.empty() || !run_id.empty() || !app_id.empty();
  }
};

struct stored_memory {
  std::string id;  // a UUID, as mem0 makes them
  std::string text;
  boost::json::object metadata;
  entity owner;
  std::string created_at;  // ISO 8601 in UTC, as mem0 writes it
  std::string updated_at;
  std::uint64_t sequence = 0;  // insertion order: the order mem0's vector stores list in
};

struct history_entry {
  std::string id;
  std::string memory_id;
  std::optional<std::string> old_memory;
  std::optional<std::string> new_memory;
  std::string event;  // ADD, UPDATE or DELETE
  std::string created_at;
  std::string updated_at;
  entity owner;
};

struct scored_memory {
  stored_memory memory;
  double score = 0.0;
};

using memory_predicate = std::function<bool(const stored_memory&)>;

// The share of the query's distinct words found in the text (case-insensitive; words are runs
// of letters, digits and non-ASCII bytes), from 0 to 1: the dev stand-in for mem0's relevance.
double lexical_score(const std::string& query, const std::string& text);

// How timestamps are written: the Platform's "2026-01-15T10:30:00.000Z", or Python's
// datetime.isoformat() as the open-source server writes them, "2026-01-15T10:30:00.000000+00:00".
enum class timestamp_style { rfc3339_utc, python_isoformat };

class memory_store {
 public:
  // Replays `data_file` when it exists and appends every later change to it.
  memory_store(std::optional<std::filesystem::path> data_file, timestamp_style style);

  std::string now() const;

  stored_memory add(const entity& owner, const std::string& text,
                    const boost::json::object& metadata);
  std::optional<stored_memory> get(const std::string& id) const;
  // In insertion order.
  std::vector<stored_memory> list(const memory_predicate& wanted) const;
  // Memories `wanted` accepts with a score of at least `threshold`, best first, at most `limit`.
  std::vector<scored_memory> search(const std::string& query, const memory_predicate& wanted,
                                    double threshold, std::size_t limit) const;
  // Changes the text (when given) and the metadata (merged into the old or replacing it).
  std::optional<stored_memory> update(const std::string& id, const std::optional<std::string>& text,
                                      const std::optional<boost::json::object>& metadata,
                                      bool merge_metadata);
  bool remove(const std::string& id);
  std::size_t remove_all(const memory_predicate& wanted);
  void reset();
  std::vector<history_entry> history(const std::string& memory_id) const;
  bool ever_held(const std::string& memory_id) const;

  std::size_t size() const;

 private:
  void record(const boost::json::object& line);
  void apply(const boost::json::object& line);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, stored_memory> memories_;
  std::unordered_map<std::string, std::vector<history_entry>> history_;
  std::uint64_t next_sequence_ = 1;
  std::optional<std::ofstream> journal_;
  timestamp_style style_;
};

}  // namespace gpt_adapter::memory_bank_dev
