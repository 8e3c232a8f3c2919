#include "tools/memory-bank-dev/memory_store.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/http/request_id.hpp"
#include "common/text/rfc3339.hpp"

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

bool matches(const entity& filter, const entity& owner) {
  return (filter.user_id.empty() || filter.user_id == owner.user_id) &&
         (filter.agent_id.empty() || filter.agent_id == owner.agent_id) &&
         (filter.run_id.empty() || filter.run_id == owner.run_id);
}

bool contains(const boost::json::array& items, const boost::json::value& wanted) {
  return std::find(items.begin(), items.end(), wanted) != items.end();
}

bool value_matches(const boost::json::value& have, const boost::json::value& wanted) {
  if (have == wanted) {
    return true;
  }
  if (wanted.is_array()) {
    return std::any_of(wanted.as_array().begin(), wanted.as_array().end(),
                       [&](const auto& one) { return value_matches(have, one); });
  }
  return have.is_array() && contains(have.as_array(), wanted);
}

bool filters_match(const boost::json::object& filters, const boost::json::object& metadata) {
  return std::all_of(filters.begin(), filters.end(), [&](const auto& filter) {
    const auto* have = metadata.if_contains(filter.key());
    return have != nullptr && value_matches(*have, filter.value());
  });
}

std::string string_at(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

boost::json::object to_json(const stored_memory& memory) {
  return {{"id", memory.id},
          {"text", memory.text},
          {"metadata", memory.metadata},
          {"user_id", memory.owner.user_id},
          {"agent_id", memory.owner.agent_id},
          {"run_id", memory.owner.run_id},
          {"created_at", memory.created_at},
          {"updated_at", memory.updated_at}};
}

boost::json::object to_json(const history_entry& entry) {
  boost::json::object object{{"id", entry.id},
                             {"memory_id", entry.memory_id},
                             {"event", entry.event},
                             {"created_at", entry.created_at}};
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
                      .created_at = string_at(object, "created_at")};
  if (object.contains("old_memory")) {
    entry.old_memory = string_at(object, "old_memory");
  }
  if (object.contains("new_memory")) {
    entry.new_memory = string_at(object, "new_memory");
  }
  return entry;
}

boost::json::object history_line(const std::string& memory_id,
                                 std::optional<std::string> old_memory,
                                 std::optional<std::string> new_memory, std::string event) {
  return to_json(history_entry{.id = http::generate_request_id(),
                               .memory_id = memory_id,
                               .old_memory = std::move(old_memory),
                               .new_memory = std::move(new_memory),
                               .event = std::move(event),
                               .created_at = text::utc_now_rfc3339()});
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

memory_store::memory_store(std::optional<std::filesystem::path> data_file) {
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
                         .owner = {string_at(object, "user_id"), string_at(object, "agent_id"),
                                   string_at(object, "run_id")},
                         .created_at = string_at(object, "created_at"),
                         .updated_at = string_at(object, "updated_at")};
    if (const auto* metadata = object.if_contains("metadata");
        metadata != nullptr && metadata->is_object()) {
      memory.metadata = metadata->as_object();
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

std::vector<stored_memory> memory_store::add(const entity& owner,
                                             const std::vector<std::string>& texts,
                                             const boost::json::object& metadata) {
  std::lock_guard lock(mutex_);
  std::vector<stored_memory> added;
  for (const auto& text : texts) {
    const auto now = text::utc_now_rfc3339();
    stored_memory memory{.id = http::generate_request_id(),
                         .text = text,
                         .metadata = metadata,
                         .owner = owner,
                         .created_at = now,
                         .updated_at = now};
    record({{"kind", "put"},
            {"memory", to_json(memory)},
            {"history", history_line(memory.id, std::nullopt, text, "ADD")}});
    added.push_back(memories_.at(memory.id));
  }
  return added;
}

std::optional<stored_memory> memory_store::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = memories_.find(id);
  if (found == memories_.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::vector<stored_memory> memory_store::list(const entity& filter) const {
  std::lock_guard lock(mutex_);
  std::vector<stored_memory> found;
  for (const auto& [id, memory] : memories_) {
    if (matches(filter, memory.owner)) {
      found.push_back(memory);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return found;
}

std::vector<scored_memory> memory_store::search(const std::string& query, const entity& filter,
                                                std::size_t limit,
                                                const boost::json::object& filters) const {
  std::vector<scored_memory> found;
  for (auto& memory : list(filter)) {
    if (!filters_match(filters, memory.metadata)) {
      continue;
    }
    const double score = lexical_score(query, memory.text);
    if (score > 0.0) {
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
    const std::string& id, const std::string& text,
    const std::optional<boost::json::object>& metadata) {
  std::lock_guard lock(mutex_);
  const auto found = memories_.find(id);
  if (found == memories_.end()) {
    return std::nullopt;
  }
  auto memory = found->second;
  const auto old_text = memory.text;
  memory.text = text;
  if (metadata) {
    memory.metadata = *metadata;
  }
  memory.updated_at = text::utc_now_rfc3339();
  record({{"kind", "put"},
          {"memory", to_json(memory)},
          {"history", history_line(id, old_text, text, "UPDATE")}});
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
          {"history", history_line(id, found->second.text, std::nullopt, "DELETE")}});
  return true;
}

std::size_t memory_store::remove_all(const entity& filter) {
  std::vector<std::string> ids;
  for (const auto& memory : list(filter)) {
    ids.push_back(memory.id);
  }
  return static_cast<std::size_t>(
      std::count_if(ids.begin(), ids.end(), [this](const auto& id) { return remove(id); }));
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

std::size_t memory_store::size() const {
  std::lock_guard lock(mutex_);
  return memories_.size();
}

}  // namespace gpt_adapter::memory_bank_dev
