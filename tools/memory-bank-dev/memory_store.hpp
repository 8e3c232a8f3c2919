#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

// The dev Memory Bank's data: memories kept in memory, optionally mirrored to a JSON-lines file
// that is replayed at start. Safe to use from several threads.
namespace gpt_adapter::memory_bank_dev {

// The entity ids mem0 scopes memories by; an empty id is "not given".
struct entity {
  std::string user_id;
  std::string agent_id;
  std::string run_id;

  bool any() const { return !user_id.empty() || !agent_id.empty() || !run_id.empty(); }
};

struct stored_memory {
  std::string id;
  std::string text;
  boost::json::object metadata;
  entity owner;
  std::string created_at;
  std::string updated_at;
  std::uint64_t sequence = 0;  // insertion order, for stable listing
};

struct history_entry {
  std::string id;
  std::string memory_id;
  std::optional<std::string> old_memory;
  std::optional<std::string> new_memory;
  std::string event;  // ADD, UPDATE or DELETE
  std::string created_at;
};

struct scored_memory {
  stored_memory memory;
  double score = 0.0;
};

// The share of the query's distinct words found in the text (case-insensitive; words are runs
// of letters, digits and non-ASCII bytes), from 0 to 1.
double lexical_score(const std::string& query, const std::string& text);

class memory_store {
 public:
  // Replays `data_file` when it exists and appends every later change to it.
  explicit memory_store(std::optional<std::filesystem::path> data_file);

  std::vector<stored_memory> add(const entity& owner, const std::vector<std::string>& texts,
                                 const boost::json::object& metadata);
  std::optional<stored_memory> get(const std::string& id) const;
  std::vector<stored_memory> list(const entity& filter) const;
  // Memories of the entity with a score above zero, best first, at most `limit`; `filters`
  // must match the metadata (equal values, or membership when either side is an array).
  std::vector<scored_memory> search(const std::string& query, const entity& filter,
                                    std::size_t limit, const boost::json::object& filters) const;
  std::optional<stored_memory> update(const std::string& id, const std::string& text,
                                      const std::optional<boost::json::object>& metadata);
  bool remove(const std::string& id);
  std::size_t remove_all(const entity& filter);
  void reset();
  std::vector<history_entry> history(const std::string& memory_id) const;

  std::size_t size() const;

 private:
  void record(const boost::json::object& line);
  void apply(const boost::json::object& line);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, stored_memory> memories_;
  std::unordered_map<std::string, std::vector<history_entry>> history_;
  std::uint64_t next_sequence_ = 1;
  std::optional<std::ofstream> journal_;
};

}  // namespace gpt_adapter::memory_bank_dev
