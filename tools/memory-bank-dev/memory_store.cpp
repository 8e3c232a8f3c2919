#include "tools/memory-bank-dev/memory_store.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/text/rfc3339.hpp"
#include "common/text/uuid.hpp"

namespace gpt_adapter::memory_bank_dev {
namespace {

std::set<std::string> words(const std::string& text) {
  std::set<std::string> found;
  std::string word;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || byte >= 0x80) {
      word.push_back(static_cast<char>(std::tolower(byte)));
    } else if (!word.empty()) {
      found.insert(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) {
    found.insert(std::move(word));
  }
  return found;
}

std::string string_at(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

boost::json::object to_json(const entity& owner) {
  return {{"user_id", owner.user_id},
          {"agent_id", owner.agent_id},
          {"run_id", owner.run_id},
          {"app_id", owner.app_id}};
}

entity entity_from_json(const boost::json::object& object) {
  return {string_at(object, "user_id"), string_at(object, "agent_id"), string_at(object, "run_id"),
          string_at(object, "app_id")};
}

boost::json::object to_json(const stored_memory& memory) {
  return {{"id", memory.id},
          {"text", memory.text},
          {"metadata", memory.metadata},
          {"owner", to_json(memory.owner)},
          {"created_at", memory.created_at},
          {"updated_at", memory.updated_at}};
}

boost::json::object to_json(const history_entry& entry) {
  boost::json::object object{{"id", entry.id},
                             {"memory_id", entry.memory_id},
                             {"event", entry.event},
                             {"created_at", entry.created_at},
                             {"updated_at", entry.updated_at},
                             {"owner", to_json(entry.owner)}};
  if (entry.old_memory) {
    object["old_memory"] = *entry.old_memory;
  }
  if (entry.new_memory) {
    object["new_memory"] = *entry.new_memory;
  }
  return object;
}

history_entry history_from_json(const boost::json::object& object) {
  history_entry entry{.id = string_at(object, "id"),
                      .memory_id = string_at(object, "memory_id"),
                      .event = string_at(object, "event"),
                      .created_at = string_at(object, "created_at"),
                      .updated_at = string_at(object, "updated_at")};
  if (object.contains("old_memory")) {
    entry.old_memory = string_at(object, "old_memory");
  }
  if (object.contains("new_memory")) {
    entry.new_memory = string_at(object, "new_memory");
  }
  if (const auto* owner = object.if_contains("owner"); owner != nullptr && owner->is_object()) {
    entry.owner = entity_from_json(owner->as_object());
  }
  return entry;
}

// created_at is the memory's own; updated_at the time of the change.
boost::json::object history_line(const stored_memory& memory, std::optional<std::string> old_memory,
                                 std::optional<std::string> new_memory, std::string event,
                                 std::string when) {
  return to_json(history_entry{.id = text::uuid_v4(),
                               .memory_id = memory.id,
                               .old_memory = std::move(old_memory),
                               .new_memory = std::move(new_memory),
                               .event = std::move(event),
                               .created_at = memory.created_at,
                               .updated_at = std::move(when),
                               .owner = memory.owner});
}

}  // namespace

double lexical_score(const std::string& query, const std::string& text) {
  const auto wanted = words(query);
  if (wanted.empty()) {
    return 0.0;
  }
  const auto have = words(text);
  const auto found = std::count_if(wanted.begin(), wanted.end(),
                                   [&](const std::string& word) { return have.contains(word); });
  return static_cast<double>(found) / static_cast<double>(wanted.size());
}

memory_store::memory_store(std::optional<std::filesystem::path> data_file, timestamp_style style)
    : style_(style) {
  if (!data_file) {
    return;
  }
  if (std::ifstream existing(*data_file); existing) {
    std::string line;
    std::size_t number = 0;
    while (std::getline(existing, line)) {
      ++number;
      if (line.empty()) {
        continue;
      }
      boost::system::error_code error;
      auto value = boost::json::parse(line, error);
      if (error || !value.is_object()) {
        throw std::runtime_error(data_file->string() + ": line " + std::to_string(number) +
                                 " is not a JSON object");
      }
      apply(value.as_object());
    }
  }
  journal_.emplace(*data_file, std::ios::app);
  if (!*journal_) {
    throw std::runtime_error("cannot open " + data_file->string() + " for appending");
  }
}

std::string memory_store::now() const {
  auto text = text::utc_now_rfc3339();
  if (style_ == timestamp_style::python_isoformat) {
    text.pop_back();
    text += "000+00:00";
  }
  return text;
}

void memory_store::record(const boost::json::object& line) {
  apply(line);
  if (journal_) {
    *journal_ << boost::json::serialize(line) << '\n' << std::flush;
  }
}

void memory_store::apply(const boost::json::object& line) {
  const auto kind = string_at(line, "kind");
  if (const auto* entry = line.if_contains("history"); entry != nullptr && entry->is_object()) {
    auto parsed = history_from_json(entry->as_object());
    history_[parsed.memory_id].push_back(std::move(parsed));
  }
  if (kind == "put") {
    const auto& object = line.at("memory").as_object();
    stored_memory memory{.id = string_at(object, "id"),
                         .text = string_at(object, "text"),
                         .created_at = string_at(object, "created_at"),
                         .updated_at = string_at(object, "updated_at")};
    if (const auto* metadata = object.if_contains("metadata");
        metadata != nullptr && metadata->is_object()) {
      memory.metadata = metadata->as_object();
    }
    if (const auto* owner = object.if_contains("owner"); owner != nullptr && owner->is_object()) {
      memory.owner = entity_from_json(owner->as_object());
    }
    const auto existing = memories_.find(memory.id);
    memory.sequence = existing != memories_.end() ? existing->second.sequence : next_sequence_++;
    memories_[memory.id] = std::move(memory);
  } else if (kind == "delete") {
    memories_.erase(string_at(line, "id"));
  } else if (kind == "reset") {
    memories_.clear();
    history_.clear();
  }
}

stored_memory memory_store::add(const entity& owner, const std::string& text,
                                const boost::json::object& metadata) {
  std::lock_guard lock(mutex_);
  const auto created = now();
  stored_memory memory{.id = text::uuid_v4(),
                       .text = text,
                       .metadata = metadata,
                       .owner = owner,
                       .created_at = created,
                       .updated_at = created};
  record({{"kind", "put"},
          {"memory", to_json(memory)},
          {"history", history_line(memory, std::nullopt, text, "ADD", created)}});
  return memories_.at(memory.id);
}

std::optional<stored_memory> memory_store::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = memories_.find(id);
  if (found == memories_.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::vector<stored_memory> memory_store::list(const memory_predicate& wanted) const {
  std::vector<stored_memory> all;
  {
    std::lock_guard lock(mutex_);
    all.reserve(memories_.size());
    for (const auto& [id, memory] : memories_) {
      all.push_back(memory);
    }
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  // The predicate runs without the lock: it may be slow or throw.
  std::vector<stored_memory> found;
  for (auto& memory : all) {
    if (wanted(memory)) {
      found.push_back(std::move(memory));
    }
  }
  return found;
}

std::vector<scored_memory> memory_store::search(const std::string& query,
                                                const memory_predicate& wanted, double threshold,
                                                std::size_t limit) const {
  std::vector<scored_memory> found;
  for (auto& memory : list(wanted)) {
    const double score = lexical_score(query, memory.text);
    if (score >= threshold) {
      found.push_back({std::move(memory), score});
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  if (found.size() > limit) {
    found.resize(limit);
  }
  return found;
}

std::optional<stored_memory> memory_store::update(
    const std::string& id, const std::optional<std::string>& text,
    const std::optional<boost::json::object>& metadata, bool merge_metadata) {
  std::lock_guard lock(mutex_);
  const auto found = memories_.find(id);
  if (found == memories_.end()) {
    return std::nullopt;
  }
  auto memory = found->second;
  const auto old_text = memory.text;
  if (text) {
    memory.text = *text;
  }
  if (metadata && merge_metadata) {
    for (const auto& [key, value] : *metadata) {
      memory.metadata[key] = value;
    }
  } else if (metadata) {
    memory.metadata = *metadata;
  }
  memory.updated_at = now();
  record({{"kind", "put"},
          {"memory", to_json(memory)},
          {"history", history_line(memory, old_text, memory.text, "UPDATE", memory.updated_at)}});
  return memories_.at(id);
}

bool memory_store::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = memories_.find(id);
  if (found == memories_.end()) {
    return false;
  }
  record({{"kind", "delete"},
          {"id", id},
          {"history",
           history_line(found->second, found->second.text, std::nullopt, "DELETE", now())}});
  return true;
}

std::size_t memory_store::remove_all(const memory_predicate& wanted) {
  std::size_t removed = 0;
  for (const auto& memory : list(wanted)) {
    removed += remove(memory.id) ? 1 : 0;
  }
  return removed;
}

void memory_store::reset() {
  std::lock_guard lock(mutex_);
  record({{"kind", "reset"}});
}

std::vector<history_entry> memory_store::history(const std::string& memory_id) const {
  std::lock_guard lock(mutex_);
  const auto found = history_.find(memory_id);
  return found != history_.end() ? found->second : std::vector<history_entry>{};
}

bool memory_store::ever_held(const std::string& memory_id) const {
  std::lock_guard lock(mutex_);
  return memories_.contains(memory_id) || history_.contains(memory_id);
}

std::size_t memory_store::size() const {
  std::lock_guard lock(mutex_);
  return memories_.size();
}

}  // namespace gpt_adapter::memory_bank_dev
