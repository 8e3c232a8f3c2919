#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>

#include "common/metrics/registry.hpp"

namespace gpt_adapter::metrics {
namespace {

std::optional<double> parse_number(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> read_file(const char* path) {
  std::ifstream file(path);
  if (!file) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// The fields of /proc/self/stat after the command name, so fields()[0] is field 3 (state) of
// proc(5). The name is in parentheses and may itself contain spaces and parentheses.
std::vector<std::string> self_stat_fields() {
  const auto text = read_file("/proc/self/stat");
  if (!text) {
    return {};
  }
  const auto name_end = text->rfind(')');
  if (name_end == std::string::npos) {
    return {};
  }
  std::istringstream rest(text->substr(name_end + 1));
  return {std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
}

// Field n of proc(5) (1-based) as a number.
std::optional<double> stat_field(const std::vector<std::string>& fields, std::size_t n) {
  if (n < 3 || n - 3 >= fields.size()) {
    return std::nullopt;
  }
  return parse_number(fields[n - 3]);
}

std::optional<double> boot_time_seconds() {
  const auto text = read_file("/proc/stat");
  if (!text) {
    return std::nullopt;
  }
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("btime ")) {
      return parse_number(std::string_view(line).substr(6));
    }
  }
  return std::nullopt;
}

std::optional<double> open_fd_count() {
  std::error_code error;
  std::filesystem::directory_iterator entries("/proc/self/fd", error);
  if (error) {
    return std::nullopt;
  }
  double count = 0;
  for (; entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    if (error) {
      return std::nullopt;
    }
    ++count;
  }
  return count;
}

struct process_metrics {
  counter& cpu_seconds;
  gauge& resident_memory_bytes;
  gauge& virtual_memory_bytes;
  gauge& start_time_seconds;
  gauge& open_fds;
  gauge& max_fds;
  double ticks_per_second;
  double page_size;

  // A value that cannot be read keeps its previous value: a scrape must not fail over it.
  void collect() const {
    const auto fields = self_stat_fields();
    const auto user_ticks = stat_field(fields, 14);
    const auto system_ticks = stat_field(fields, 15);
    if (user_ticks && system_ticks) {
      // The kernel keeps the total; the counter advances by the increase since the last
      // collection (collectors never run concurrently), so it stays an ordinary counter.
      const double total = (*user_ticks + *system_ticks) / ticks_per_second;
      if (total > cpu_seconds.value()) {
        cpu_seconds.inc(total - cpu_seconds.value());
      }
    }
    if (const auto bytes = stat_field(fields, 23)) {
      virtual_memory_bytes.set(*bytes);
    }
    if (const auto pages = stat_field(fields, 24)) {
      resident_memory_bytes.set(*pages * page_size);
    }
    if (const auto count = open_fd_count()) {
      open_fds.set(*count);
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      max_fds.set(static_cast<double>(limit.rlim_cur));
    }
  }
};

}  // namespace

void register_process_metrics(registry& target) {
  const process_metrics metrics{
      .cpu_seconds = target
                         .add_counter("process_cpu_seconds_total",
                                      "Total user and system CPU time spent in seconds.")
                         .get(),
      .resident_memory_bytes =
          target.add_gauge("process_resident_memory_bytes", "Resident memory size in bytes.").get(),
      .virtual_memory_bytes =
          target.add_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").get(),
      .start_time_seconds = target
                                .add_gauge("process_start_time_seconds",
                                           "Start time of the process since unix epoch in seconds.")
                                .get(),
      .open_fds = target.add_gauge("process_open_fds", "Number of open file descriptors.").get(),
      .max_fds =
          target.add_gauge("process_max_fds", "Maximum number of open file descriptors.").get(),
      .ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK)),
      .page_size = static_cast<double>(sysconf(_SC_PAGESIZE)),
  };
  // The start time never changes: boot time plus the clock ticks from boot to our start.
  const auto boot_time = boot_time_seconds();
  const auto start_ticks = stat_field(self_stat_fields(), 22);
  if (boot_time && start_ticks) {
    metrics.start_time_seconds.set(*boot_time + *start_ticks / metrics.ticks_per_second);
  }
  metrics.collect();
  target.add_collector([metrics] { metrics.collect(); });
}

}  // namespace gpt_adapter::metrics
