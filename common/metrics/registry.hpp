#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

// Prometheus metrics with the text exposition format 0.0.4 (prometheus-cpp is not packaged in
// Debian 12). Updating a metric is a lock-free atomic operation on a handle; only finding the
// handle for a new label combination takes a per-family lock, so callers on a hot path resolve
// their handles once and keep them.
namespace gpt_adapter::metrics {

class counter {
 public:
  // Throws std::invalid_argument for a negative (or NaN) amount: counters only go up.
  void inc(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0);
  void dec(double amount = 1.0) { inc(-amount); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class histogram {
 public:
  // `bounds` are the upper bounds of the buckets, finite and strictly increasing; +Inf is
  // implicit. Throws std::invalid_argument otherwise.
  explicit histogram(std::vector<double> bounds);
  void observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count per bound, then the +Inf count (== count()).
  std::vector<std::uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, +Inf last; not cumulative
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

// Request durations in seconds, from 1 ms to 60 s, finer around the 2 s latency objective
// (1, 1.5, 2, 2.5, 3 s) so that a p95 > 2 s alert reads a bucket bound, not an interpolation.
std::vector<double> default_duration_buckets();

enum class metric_type { counter, gauge, histogram };

// All series of one metric name, keyed by label values in the order of `label_names`.
template <typename Metric>
class family {
 public:
  family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // Returns the series for these label values (created on first use). The reference stays
  // valid for the registry's lifetime. Throws std::invalid_argument on a wrong value count.
  Metric& labels(const std::vector<std::string>& values);
  // The series of a family without labels.
  Metric& get() { return labels({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Visits every series in label order (for exposition).
  void for_each(
      const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

// Families are exposed in registration order. Registration throws std::invalid_argument for a
// name that is not a valid Prometheus name or is already taken (a histogram also takes its
// _bucket, _sum and _count names), and for invalid label names: `[a-zA-Z_][a-zA-Z0-9_]*`, not
// starting with `__`, not repeated, and not `le` on a histogram. A family without labels has
// its single series from the start, so it is exposed as 0 before the first update.
class registry {
 public:
  family<counter>& add_counter(std::string name, std::string help,
                               std::vector<std::string> label_names = {});
  family<gauge>& add_gauge(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  family<histogram>& add_histogram(std::string name, std::string help,
                                   std::vector<std::string> label_names = {},
                                   std::vector<double> bounds = default_duration_buckets());

  // Runs before every exposition, e.g. to refresh gauges read from the system. Collectors run
  // one at a time under the registry's lock, so they must not register metrics.
  void add_collector(std::function<void()> collect);

  // The whole registry in the Prometheus text format 0.0.4.
  std::string expose() const;

 private:
  struct registration {
    metric_type type;
    std::size_t index;  // into the deque of that type
  };

  // Validates a new family and reserves its exposed names; call with mutex_ held.
  void reserve_names(const std::string& name, const std::vector<std::string>& label_names,
                     metric_type type);

  mutable std::mutex mutex_;  // guards registration and collectors, never metric updates
  std::deque<family<counter>> counters_;
  std::deque<family<gauge>> gauges_;
  std::deque<family<histogram>> histograms_;
  std::vector<registration> order_;
  std::set<std::string, std::less<>> taken_names_;
  std::vector<std::function<void()>> collectors_;
};

// Registers process_cpu_seconds_total (counter), process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds and
// process_max_fds (gauges), read from /proc and getrlimit at each exposition.
void register_process_metrics(registry& target);

// The content type of the exposition.
inline constexpr std::string_view exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace gpt_adapter::metrics
