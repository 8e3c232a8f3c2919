#include "tests/support/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

namespace gpt_adapter::testing {
namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool valid_metric_name(std::string_view name) {
  return !name.empty() && (is_name_start(name.front()) || name.front() == ':') &&
         std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  return !name.empty() && is_name_start(name.front()) && !name.starts_with("__") &&
         std::all_of(name.begin(), name.end(), is_name_char);
}

[[noreturn]] void fail(std::size_t line_number, const std::string& problem) {
  throw std::runtime_error("metrics line " + std::to_string(line_number) + ": " + problem);
}

std::optional<double> parse_value(std::string_view text) {
  if (text == "+Inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (text == "-Inf") {
    return -std::numeric_limits<double>::infinity();
  }
  if (text == "NaN") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // from_chars alone would also take "inf" and "nan", which the format does not allow.
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string_view::npos) {
    return std::nullopt;
  }
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string unescape_help(std::string_view text, std::size_t line_number) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) {
      fail(line_number, "help ends in a lone backslash");
    }
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else {
      fail(line_number, std::string("invalid escape \\") + text[i] + " in help");
    }
  }
  return out;
}

// Reads `{name="value",...}` from the start of `text`, leaving `text` after the closing brace.
std::map<std::string, std::string> parse_labels(std::string_view& text, std::size_t line_number) {
  std::map<std::string, std::string> labels;
  text.remove_prefix(1);
  if (!text.empty() && text.front() == '}') {
    fail(line_number, "empty label braces");
  }
  while (true) {
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      fail(line_number, "label without =");
    }
    const std::string name(text.substr(0, equals));
    if (!valid_label_name(name)) {
      fail(line_number, "invalid label name \"" + name + "\"");
    }
    text.remove_prefix(equals + 1);
    if (text.empty() || text.front() != '"') {
      fail(line_number, "label value of " + name + " is not quoted");
    }
    text.remove_prefix(1);
    std::string value;
    while (true) {
      if (text.empty()) {
        fail(line_number, "unterminated label value of " + name);
      }
      const char c = text.front();
      text.remove_prefix(1);
      if (c == '"') {
        break;
      }
      if (c != '\\') {
        value += c;
        continue;
      }
      if (text.empty()) {
        fail(line_number, "unterminated escape in label value of " + name);
      }
      const char escaped = text.front();
      text.remove_prefix(1);
      if (escaped == '\\' || escaped == '"') {
        value += escaped;
      } else if (escaped == 'n') {
        value += '\n';
      } else {
        fail(line_number, std::string("invalid escape \\") + escaped + " in label value");
      }
    }
    if (!labels.emplace(name, std::move(value)).second) {
      fail(line_number, "label " + name + " repeated");
    }
    if (text.empty()) {
      fail(line_number, "unterminated label set");
    }
    const char separator = text.front();
    text.remove_prefix(1);
    if (separator == '}') {
      return labels;
    }
    if (separator != ',' || text.empty() || text.front() == '}') {
      fail(line_number, "expected , or } after a label");
    }
  }
}

// Whether `sample_name` is one of the names a family of this type exposes.
bool belongs_to(const prometheus_family& family, std::string_view sample_name) {
  if (sample_name == family.name) {
    return family.type != "histogram";
  }
  if (!sample_name.starts_with(family.name)) {
    return false;
  }
  const auto suffix = sample_name.substr(family.name.size());
  if (family.type == "histogram") {
    return suffix == "_bucket" || suffix == "_sum" || suffix == "_count";
  }
  return family.type == "summary" && (suffix == "_sum" || suffix == "_count");
}

struct histogram_series {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count) in text order
  std::optional<double> sum;
  std::optional<double> count;
};

void check_histogram(const prometheus_family& family) {
  std::map<std::map<std::string, std::string>, histogram_series> series;
  for (const auto& sample : family.samples) {
    auto labels = sample.labels;
    const auto le = labels.find("le");
    const bool is_bucket = sample.name == family.name + "_bucket";
    if (is_bucket != (le != labels.end())) {
      throw std::runtime_error(family.name + ": `le` belongs on _bucket samples and only there");
    }
    const bool whole = std::isfinite(sample.value) && sample.value >= 0 &&
                       std::trunc(sample.value) == sample.value;
    if (sample.name != family.name + "_sum" && !whole) {
      throw std::runtime_error(family.name + ": bucket counts and _count must be whole numbers");
    }
    if (is_bucket) {
      const auto bound = parse_value(le->second);
      if (!bound || std::isnan(*bound)) {
        throw std::runtime_error(family.name + ": invalid le=\"" + le->second + "\"");
      }
      labels.erase(le);
      series[labels].buckets.emplace_back(*bound, sample.value);
    } else if (sample.name == family.name + "_sum") {
      series[labels].sum = sample.value;
    } else {
      series[labels].count = sample.value;
    }
  }
  for (const auto& [labels, one] : series) {
    if (one.buckets.empty() || !one.sum || !one.count) {
      throw std::runtime_error(family.name + ": a series lacks buckets, _sum or _count");
    }
    for (std::size_t i = 1; i < one.buckets.size(); ++i) {
      if (!(one.buckets[i - 1].first < one.buckets[i].first)) {
        throw std::runtime_error(family.name + ": bucket bounds are not increasing");
      }
      if (one.buckets[i - 1].second > one.buckets[i].second) {
        throw std::runtime_error(family.name + ": bucket counts are not cumulative");
      }
    }
    if (!std::isinf(one.buckets.back().first) || one.buckets.back().first < 0) {
      throw std::runtime_error(family.name + ": the last bucket is not le=\"+Inf\"");
    }
    if (one.buckets.back().second != *one.count) {
      throw std::runtime_error(family.name + ": the +Inf bucket differs from _count");
    }
  }
}

}  // namespace

const prometheus_family* prometheus_text::find(std::string_view family_name) const {
  const auto found = std::find_if(families.begin(), families.end(),
                                  [&](const auto& family) { return family.name == family_name; });
  return found == families.end() ? nullptr : &*found;
}

std::optional<double> prometheus_text::value(
    std::string_view sample_name, const std::map<std::string, std::string>& labels) const {
  for (const auto& family : families) {
    for (const auto& sample : family.samples) {
      if (sample.name == sample_name && sample.labels == labels) {
        return sample.value;
      }
    }
  }
  return std::nullopt;
}

prometheus_text parse_prometheus_text(const std::string& text) {
  static const std::set<std::string_view> types = {"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
  if (!text.empty() && text.back() != '\n') {
    throw std::runtime_error("metrics text does not end with a newline");
  }
  prometheus_text parsed;
  std::set<std::string> declared;  // families seen so far, to reject a family split in two
  std::set<std::pair<std::string, std::map<std::string, std::string>>> series;
  bool type_seen = false;
  bool help_seen = false;
  std::string_view rest(text);
  std::size_t line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    const auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    if (line.empty()) {
      fail(line_number, "blank line");
    }
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool is_help = line[2] == 'H';
      line.remove_prefix(7);
      const auto space = line.find(' ');
      if (space == std::string_view::npos) {
        fail(line_number, "HELP or TYPE without a name and text");
      }
      const std::string name(line.substr(0, space));
      const auto argument = line.substr(space + 1);
      if (!valid_metric_name(name)) {
        fail(line_number, "invalid metric name \"" + name + "\"");
      }
      if (parsed.families.empty() || parsed.families.back().name != name) {
        if (!declared.insert(name).second) {
          fail(line_number, name + " is declared again after other families");
        }
        parsed.families.push_back({.name = name});
        type_seen = false;
        help_seen = false;
      }
      auto& family = parsed.families.back();
      if (!family.samples.empty()) {
        fail(line_number, "HELP or TYPE of " + name + " after its samples");
      }
      if (is_help) {
        if (std::exchange(help_seen, true)) {
          fail(line_number, "second HELP for " + name);
        }
        family.help = unescape_help(argument, line_number);
      } else {
        if (std::exchange(type_seen, true)) {
          fail(line_number, "second TYPE for " + name);
        }
        if (!types.contains(argument)) {
          fail(line_number, "unknown type \"" + std::string(argument) + "\"");
        }
        family.type = argument;
      }
      continue;
    }
    if (line.front() == '#') {
      continue;
    }
    const auto name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos) {
      fail(line_number, "sample without a value");
    }
    prometheus_sample sample{.name = std::string(line.substr(0, name_end))};
    if (!valid_metric_name(sample.name)) {
      fail(line_number, "invalid metric name \"" + sample.name + "\"");
    }
    if (parsed.families.empty() || !type_seen || !belongs_to(parsed.families.back(), sample.name)) {
      fail(line_number, "sample " + sample.name + " does not follow the TYPE of its family");
    }
    line.remove_prefix(name_end);
    if (line.front() == '{') {
      sample.labels = parse_labels(line, line_number);
    }
    if (line.empty() || line.front() != ' ') {
      fail(line_number, "expected one space before the value");
    }
    line.remove_prefix(1);
    const auto value = parse_value(line);
    if (!value) {
      const bool has_space = line.find(' ') != std::string_view::npos;
      fail(line_number, "invalid value \"" + std::string(line) + "\"" +
                            (has_space ? " (no timestamps or extra spaces are expected)" : ""));
    }
    sample.value = *value;
    auto& family = parsed.families.back();
    if (family.type == "counter" && !(sample.value >= 0)) {
      fail(line_number, "counter " + sample.name + " is negative or NaN");
    }
    if (!series.emplace(sample.name, sample.labels).second) {
      fail(line_number, "duplicate series " + sample.name);
    }
    family.samples.push_back(std::move(sample));
  }
  for (const auto& family : parsed.families) {
    if (family.type.empty()) {
      throw std::runtime_error("metrics family " + family.name + " has no TYPE");
    }
    if (family.type == "histogram") {
      check_histogram(family);
    }
  }
  return parsed;
}

}  // namespace gpt_adapter::testing
