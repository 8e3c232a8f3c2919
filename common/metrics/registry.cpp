#include "common/metrics/registry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gpt_adapter::metrics {
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

std::vector<double> checked_bounds(std::vector<double> bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be finite (+Inf is implicit)");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be strictly increasing");
    }
  }
  return bounds;
}

// Integral values as integers ("3", not "3.0" or "3e+00"); anything else in the shortest form
// that reads back as the same double.
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  std::array<char, 32> buffer{};
  // 2^63 bounds the range where an integral double converts exactly to int64.
  constexpr double int64_limit = 9223372036854775808.0;
  const bool integral = std::trunc(value) == value && value > -int64_limit && value < int64_limit;
  const auto result = integral ? std::to_chars(buffer.data(), buffer.data() + buffer.size(),
                                               static_cast<std::int64_t>(value))
                               : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void append_count(std::string& out, std::uint64_t value) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void append_help(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `{a="1",b="2"}`, with an extra last label (the histogram's `le`) when `extra_name` is set;
// nothing at all when there are no labels.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) {
    return;
  }
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.append(i == 0 ? "" : ",").append(names[i]).append("=\"");
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    out.append(names.empty() ? "" : ",").append(extra_name).append("=\"");
    append_label_value(out, extra_value);
    out += '"';
  }
  out += '}';
}

template <typename Metric>
void append_header(std::string& out, const family<Metric>& metrics, std::string_view type) {
  out.append("# HELP ").append(metrics.name()).append(" ");
  append_help(out, metrics.help());
  out.append("\n# TYPE ").append(metrics.name()).append(" ").append(type).append("\n");
}

template <typename Metric>
void append_simple(std::string& out, const family<Metric>& metrics, std::string_view type) {
  append_header(out, metrics, type);
  metrics.for_each([&](const std::vector<std::string>& values, const Metric& metric) {
    out += metrics.name();
    append_labels(out, metrics.label_names(), values);
    out += ' ';
    append_number(out, metric.value());
    out += '\n';
  });
}

void append_histogram(std::string& out, const family<histogram>& metrics) {
  append_header(out, metrics, "histogram");
  const std::string bucket_name = metrics.name() + "_bucket";
  metrics.for_each([&](const std::vector<std::string>& values, const histogram& metric) {
    // One snapshot of the buckets gives both the +Inf bucket and _count, so they always agree
    // even while other threads observe.
    const auto counts = metric.cumulative_counts();
    std::string bound;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      bound.clear();
      if (i < metric.bounds().size()) {
        append_number(bound, metric.bounds()[i]);
      } else {
        bound = "+Inf";
      }
      out += bucket_name;
      append_labels(out, metrics.label_names(), values, "le", bound);
      out += ' ';
      append_count(out, counts[i]);
      out += '\n';
    }
    out.append(metrics.name()).append("_sum");
    append_labels(out, metrics.label_names(), values);
    out += ' ';
    append_number(out, metric.sum());
    out.append("\n").append(metrics.name()).append("_count");
    append_labels(out, metrics.label_names(), values);
    out += ' ';
    append_count(out, counts.back());
    out += '\n';
  });
}

}  // namespace

void counter::inc(double amount) {
  if (!(amount >= 0.0)) {
    throw std::invalid_argument("a counter cannot be increased by a negative amount");
  }
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void gauge::inc(double amount) {
  value_.fetch_add(amount, std::memory_order_relaxed);
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(checked_bounds(std::move(bounds))),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void histogram::observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::cumulative_counts() const {
  std::vector<std::uint64_t> counts(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    counts[i] = total;
  }
  return counts;
}

std::vector<double> default_duration_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75,
          1,     1.5,    2,     2.5,  3,     5,    10,  30,   60};
}

template <typename Metric>
Metric& family<Metric>::labels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(name_ + " takes " + std::to_string(label_names_.size()) +
                                " label values, not " + std::to_string(values.size()));
  }
  {
    std::shared_lock lock(mutex_);
    if (const auto found = series_.find(values); found != series_.end()) {
      return *found->second;
    }
  }
  std::unique_lock lock(mutex_);
  // Another thread may have inserted it between the two locks.
  if (const auto found = series_.find(values); found != series_.end()) {
    return *found->second;
  }
  return *series_.emplace(values, make_()).first->second;
}

template <typename Metric>
void family<Metric>::for_each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const {
  std::shared_lock lock(mutex_);
  for (const auto& [values, metric] : series_) {
    visit(values, *metric);
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

void registry::reserve_names(const std::string& name, const std::vector<std::string>& label_names,
                             metric_type type) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name \"" + name +
                                "\": expected [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!valid_label_name(label)) {
      throw std::invalid_argument("invalid label name \"" + label + "\" on " + name +
                                  ": expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
    }
    if (type == metric_type::histogram && label == "le") {
      throw std::invalid_argument("label name \"le\" is reserved for the buckets of histogram " +
                                  name);
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument("label name \"" + label + "\" repeated on " + name);
    }
  }
  std::vector<std::string> exposed{name};
  if (type == metric_type::histogram) {
    exposed.insert(exposed.end(), {name + "_bucket", name + "_sum", name + "_count"});
  }
  for (const auto& exposed_name : exposed) {
    if (taken_names_.contains(exposed_name)) {
      throw std::invalid_argument("metric name \"" + exposed_name + "\" is already registered");
    }
  }
  taken_names_.insert(exposed.begin(), exposed.end());
}

family<counter>& registry::add_counter(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  reserve_names(name, label_names, metric_type::counter);
  auto& added = counters_.emplace_back(std::move(name), std::move(help), std::move(label_names),
                                       [] { return std::make_unique<counter>(); });
  order_.push_back({metric_type::counter, counters_.size() - 1});
  if (added.label_names().empty()) {
    added.get();
  }
  return added;
}

family<gauge>& registry::add_gauge(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  reserve_names(name, label_names, metric_type::gauge);
  auto& added = gauges_.emplace_back(std::move(name), std::move(help), std::move(label_names),
                                     [] { return std::make_unique<gauge>(); });
  order_.push_back({metric_type::gauge, gauges_.size() - 1});
  if (added.label_names().empty()) {
    added.get();
  }
  return added;
}

family<histogram>& registry::add_histogram(std::string name, std::string help,
                                           std::vector<std::string> label_names,
                                           std::vector<double> bounds) {
  bounds = checked_bounds(std::move(bounds));
  std::lock_guard lock(mutex_);
  reserve_names(name, label_names, metric_type::histogram);
  auto& added = histograms_.emplace_back(
      std::move(name), std::move(help), std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_unique<histogram>(bounds); });
  order_.push_back({metric_type::histogram, histograms_.size() - 1});
  if (added.label_names().empty()) {
    added.get();
  }
  return added;
}

void registry::add_collector(std::function<void()> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::string registry::expose() const {
  std::lock_guard lock(mutex_);
  for (const auto& collect : collectors_) {
    collect();
  }
  std::string out;
  for (const auto& [type, index] : order_) {
    switch (type) {
      case metric_type::counter:
        append_simple(out, counters_[index], "counter");
        break;
      case metric_type::gauge:
        append_simple(out, gauges_[index], "gauge");
        break;
      case metric_type::histogram:
        append_histogram(out, histograms_[index]);
        break;
    }
  }
  return out;
}

}  // namespace gpt_adapter::metrics
