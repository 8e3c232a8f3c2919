#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace gpt_adapter::cache {

// Values loaded from somewhere slower (PostgreSQL, a signature check), keyed by a string, each
// usable until its own deadline, shared by every thread of a process. Read-mostly: a lookup takes
// a shared lock. Pure: the caller passes the time, so tests control it.
//
// An invalidation must win over a load that was in flight when it happened, or the load would
// put back what the invalidation removed: find() hands out the cache's generation, every erase
// and clear raises it, and store() keeps only a value loaded under the current one.
//
// Bounded by `max_entries` (0 caches nothing). A store into a full cache first drops the expired
// entries, at most once per `sweep_interval` so that a flood of misses cannot make every store
// scan the map, and is skipped when that frees no room: the value is then simply not cached.
template <typename Value>
class ttl_cache {
 public:
  using clock = std::chrono::steady_clock;

  struct lookup {
    std::optional<Value> value;    // set on a hit
    std::uint64_t generation = 0;  // to pass to store() after loading on a miss
  };

  explicit ttl_cache(std::size_t max_entries = std::numeric_limits<std::size_t>::max(),
                     clock::duration sweep_interval = std::chrono::seconds(1))
      : max_entries_(max_entries), sweep_interval_(sweep_interval) {}

  lookup find(std::string_view key, clock::time_point now) const {
    std::shared_lock lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end() && now < found->second.expires_at) {
      return lookup{found->second.value, generation_};
    }
    return lookup{std::nullopt, generation_};
  }

  // Keeps `value` until `expires_at` unless the cache was invalidated since find() returned
  // `generation`, or it is full. Returns whether it was kept.
  bool store(std::string key, Value value, clock::time_point expires_at, std::uint64_t generation,
             clock::time_point now) {
    std::unique_lock lock(mutex_);
    if (generation != generation_) {
      return false;
    }
    auto found = entries_.find(key);
    if (found != entries_.end()) {
      found->second = entry{std::move(value), expires_at};
      return true;
    }
    if (entries_.size() >= max_entries_ && !sweep_expired(now)) {
      return false;
    }
    entries_.emplace(std::move(key), entry{std::move(value), expires_at});
    return true;
  }

  // Drops `key`. Returns whether it was cached.
  bool erase(std::string_view key) {
    std::unique_lock lock(mutex_);
    ++generation_;
    const auto found = entries_.find(key);
    if (found == entries_.end()) {
      return false;
    }
    entries_.erase(found);
    return true;
  }

  // Drops every entry for which matches(key, value) holds. Returns how many.
  template <typename Predicate>
  std::size_t erase_if(Predicate matches) {
    std::unique_lock lock(mutex_);
    ++generation_;
    return std::erase_if(entries_,
                         [&](const auto& item) { return matches(item.first, item.second.value); });
  }

  // Drops everything. Returns how many entries there were.
  std::size_t clear() {
    std::unique_lock lock(mutex_);
    ++generation_;
    const auto dropped = entries_.size();
    entries_.clear();
    return dropped;
  }

  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return entries_.size();
  }

 private:
  struct entry {
    Value value;
    clock::time_point expires_at;
  };

  // Lets find() take a string_view without building a std::string.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };

  // Under the unique lock. Whether there is room after dropping the expired entries.
  bool sweep_expired(clock::time_point now) {
    if (max_entries_ == 0 || (swept_at_ && now - *swept_at_ < sweep_interval_)) {
      return false;
    }
    swept_at_ = now;
    std::erase_if(entries_, [&](const auto& item) { return item.second.expires_at <= now; });
    return entries_.size() < max_entries_;
  }

  const std::size_t max_entries_;
  const clock::duration sweep_interval_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, entry, key_hash, std::equal_to<>> entries_;
  std::uint64_t generation_ = 0;
  std::optional<clock::time_point> swept_at_;
};

}  // namespace gpt_adapter::cache
