#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpt_adapter::testing {

struct prometheus_sample {
  std::string name;  // e.g. `requests_seconds_bucket` for a histogram family `requests_seconds`
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0.0;
};

struct prometheus_family {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary or untyped
  std::string help;  // unescaped
  std::vector<prometheus_sample> samples;
};

struct prometheus_text {
  std::vector<prometheus_family> families;  // in the order of the text

  const prometheus_family* find(std::string_view family_name) const;
  // The value of the sample with exactly these labels, if present.
  std::optional<double> value(std::string_view sample_name,
                              const std::map<std::string, std::string>& labels = {}) const;
};

// Parses the Prometheus text exposition format 0.0.4 as this project produces it (no blank
// lines, no timestamps, single spaces) and checks what a scraper relies on: every sample follows
// the TYPE line of its family, families are contiguous and declared once, names and label names
// are valid, label values are correctly escaped, no series appears twice, counters are not
// negative, and every histogram series has cumulative buckets with increasing `le` ending in
// `+Inf` equal to its `_count`, plus a `_sum`. Throws std::runtime_error naming the line.
prometheus_text parse_prometheus_text(const std::string& text);

}  // namespace gpt_adapter::testing
