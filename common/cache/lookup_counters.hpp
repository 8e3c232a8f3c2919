#pragma once

#include <string>

#include "common/metrics/registry.hpp"

namespace gpt_adapter::cache {

// A cache's hit rate as one counter family `<name>{result="hit"|"miss"}`.
struct lookup_counters {
  lookup_counters(metrics::registry& metrics, std::string name, std::string help)
      : lookup_counters(metrics.add_counter(std::move(name), std::move(help), {"result"})) {}

  metrics::counter& hit;
  metrics::counter& miss;

 private:
  explicit lookup_counters(metrics::family<metrics::counter>& lookups)
      : hit(lookups.labels({"hit"})), miss(lookups.labels({"miss"})) {}
};

}  // namespace gpt_adapter::cache
