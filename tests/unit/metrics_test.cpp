#include <chrono>
#include <cmath>
#include <fcntl.h>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "common/metrics/registry.hpp"
#include "tests/support/prometheus_text.hpp"

namespace metrics = gpt_adapter::metrics;
using gpt_adapter::testing::parse_prometheus_text;

namespace {

// The exposed text of a single unlabelled gauge holding `value`, without its HELP/TYPE lines.
std::string exposed_gauge(double value) {
  metrics::registry registry;
  registry.add_gauge("value", "A value.").get().set(value);
  const auto text = registry.expose();
  const std::string prefix = "# HELP value A value.\n# TYPE value gauge\nvalue ";
  REQUIRE(text.starts_with(prefix));
  return text.substr(prefix.size());
}

}  // namespace

TEST_CASE("counters, gauges and histograms with labels round trip through the exposition",
          "[metrics]") {
  metrics::registry registry;
  auto& requests =
      registry.add_counter("http_requests_total", "Requests handled.", {"method", "status"});
  auto& in_flight = registry.add_gauge("http_in_flight", "Requests in progress.");
  auto& duration =
      registry.add_histogram("http_request_seconds", "Request duration.", {"route"}, {0.1, 0.5, 1});
  requests.labels({"GET", "200"}).inc();
  requests.labels({"GET", "200"}).inc(2);
  requests.labels({"POST", "500"}).inc(0.5);
  in_flight.get().set(7);
  in_flight.get().dec(2);
  auto& chat = duration.labels({"/chat"});
  for (const double seconds : {0.05, 0.1, 0.3, 0.7, 4.0}) {
    chat.observe(seconds);
  }

  const auto parsed = parse_prometheus_text(registry.expose());

  REQUIRE(parsed.families.size() == 3);
  CHECK(parsed.families[0].name == "http_requests_total");
  CHECK(parsed.families[0].type == "counter");
  CHECK(parsed.families[0].help == "Requests handled.");
  CHECK(parsed.families[1].name == "http_in_flight");
  CHECK(parsed.families[1].type == "gauge");
  CHECK(parsed.families[2].name == "http_request_seconds");
  CHECK(parsed.families[2].type == "histogram");
  CHECK(parsed.value("http_requests_total", {{"method", "GET"}, {"status", "200"}}) == 3.0);
  CHECK(parsed.value("http_requests_total", {{"method", "POST"}, {"status", "500"}}) == 0.5);
  CHECK(parsed.value("http_in_flight") == 5.0);
  CHECK(parsed.value("http_request_seconds_bucket", {{"route", "/chat"}, {"le", "0.1"}}) == 2.0);
  CHECK(parsed.value("http_request_seconds_bucket", {{"route", "/chat"}, {"le", "0.5"}}) == 3.0);
  CHECK(parsed.value("http_request_seconds_bucket", {{"route", "/chat"}, {"le", "1"}}) == 4.0);
  CHECK(parsed.value("http_request_seconds_bucket", {{"route", "/chat"}, {"le", "+Inf"}}) == 5.0);
  CHECK(parsed.value("http_request_seconds_count", {{"route", "/chat"}}) == 5.0);
  CHECK(parsed.value("http_request_seconds_sum", {{"route", "/chat"}}) ==
        Approx(0.05 + 0.1 + 0.3 + 0.7 + 4.0));
  CHECK(chat.count() == 5);
  CHECK(chat.cumulative_counts() == std::vector<std::uint64_t>{2, 3, 4, 5});
}

TEST_CASE("the exposition is exactly text format 0.0.4, series sorted by label values",
          "[metrics]") {
  metrics::registry registry;
  auto& jobs = registry.add_counter("jobs_total", "Jobs done.", {"queue"});
  jobs.labels({"b"}).inc(3);
  jobs.labels({"a"}).inc();
  registry.add_gauge("temperature", "Line one\nback\\slash").get().set(-2.5);
  auto& latency = registry.add_histogram("latency_seconds", "Latency.", {}, {0.005, 1});
  latency.get().observe(0.005);
  latency.get().observe(2);
  registry.add_counter("untouched_total", "Never incremented.");

  CHECK(registry.expose() == R"(# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{queue="a"} 1
jobs_total{queue="b"} 3
# HELP temperature Line one\nback\\slash
# TYPE temperature gauge
temperature -2.5
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.005"} 1
latency_seconds_bucket{le="1"} 1
latency_seconds_bucket{le="+Inf"} 2
latency_seconds_sum 2.005
latency_seconds_count 2
# HELP untouched_total Never incremented.
# TYPE untouched_total counter
untouched_total 0
)");
}

TEST_CASE("numbers are integers when integral, else shortest round trip", "[metrics]") {
  CHECK(exposed_gauge(3) == "3\n");
  CHECK(exposed_gauge(-42) == "-42\n");
  CHECK(exposed_gauge(1700000000) == "1700000000\n");
  CHECK(exposed_gauge(0.1) == "0.1\n");
  CHECK(exposed_gauge(123456789.125) == "123456789.125\n");
  CHECK(exposed_gauge(1e-05) == "1e-05\n");
  CHECK(exposed_gauge(1.5e300) == "1.5e+300\n");
  CHECK(exposed_gauge(std::numeric_limits<double>::infinity()) == "+Inf\n");
  CHECK(exposed_gauge(-std::numeric_limits<double>::infinity()) == "-Inf\n");
  CHECK(exposed_gauge(std::numeric_limits<double>::quiet_NaN()) == "NaN\n");

  const double awkward = 0.1 + 0.2;
  metrics::registry registry;
  registry.add_gauge("awkward", "Not 0.3.").get().set(awkward);
  CHECK(parse_prometheus_text(registry.expose()).value("awkward") == awkward);
}

TEST_CASE("label values and help are escaped", "[metrics]") {
  metrics::registry registry;
  const std::string tricky = "back\\slash \"quoted\"\nnext line";
  registry.add_counter("escapes_total", "Help with \\ and\nnewline \"quotes\"", {"path"})
      .labels({tricky})
      .inc();

  const auto text = registry.expose();
  CHECK(text.find(R"(escapes_total{path="back\\slash \"quoted\"\nnext line"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(# HELP escapes_total Help with \\ and\nnewline "quotes")") !=
        std::string::npos);
  const auto parsed = parse_prometheus_text(text);
  CHECK(parsed.value("escapes_total", {{"path", tricky}}) == 1.0);
  CHECK(parsed.families.at(0).help == "Help with \\ and\nnewline \"quotes\"");
}

TEST_CASE("invalid metric and label names are rejected", "[metrics]") {
  metrics::registry registry;
  for (const auto* name : {"", "1abc", "a-b", "a b", "caf\xc3\xa9", "a.b"}) {
    INFO(name);
    CHECK_THROWS_AS(registry.add_counter(name, "x"), std::invalid_argument);
    CHECK_THROWS_AS(registry.add_gauge(name, "x"), std::invalid_argument);
    CHECK_THROWS_AS(registry.add_histogram(name, "x"), std::invalid_argument);
  }
  for (const auto* label : {"", "1a", "a:b", "__reserved", "a-b"}) {
    INFO(label);
    CHECK_THROWS_AS(registry.add_counter("with_label_total", "x", {label}), std::invalid_argument);
  }
  CHECK_THROWS_AS(registry.add_counter("repeated_total", "x", {"a", "b", "a"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.add_histogram("with_le_seconds", "x", {"le"}), std::invalid_argument);

  CHECK_NOTHROW(registry.add_counter("ns:sub_total", "x", {"_private", "le"}));
  CHECK_NOTHROW(registry.add_gauge(":colon_start", "x", {"A9_z"}));
  // A rejected registration reserves nothing.
  CHECK_NOTHROW(registry.add_counter("with_label_total", "x", {"fine"}));
  CHECK(parse_prometheus_text(registry.expose()).families.size() == 3);
}

TEST_CASE("a name can be registered only once", "[metrics]") {
  metrics::registry registry;
  registry.add_counter("taken", "x");
  CHECK_THROWS_AS(registry.add_counter("taken", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.add_gauge("taken", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.add_histogram("taken", "x"), std::invalid_argument);

  registry.add_histogram("rpc_seconds", "x");
  CHECK_THROWS_AS(registry.add_counter("rpc_seconds_count", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.add_gauge("rpc_seconds_sum", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.add_gauge("rpc_seconds_bucket", "x"), std::invalid_argument);
  registry.add_gauge("queue_count", "x");
  CHECK_THROWS_AS(registry.add_histogram("queue", "x"), std::invalid_argument);

  CHECK(parse_prometheus_text(registry.expose()).families.size() == 3);
}

TEST_CASE("label values must match the label names", "[metrics]") {
  metrics::registry registry;
  auto& family = registry.add_counter("pairs_total", "x", {"a", "b"});
  CHECK_THROWS_AS(family.labels({"1"}), std::invalid_argument);
  CHECK_THROWS_AS(family.labels({"1", "2", "3"}), std::invalid_argument);
  CHECK_THROWS_AS(family.get(), std::invalid_argument);
  CHECK(&family.labels({"1", "2"}) == &family.labels({"1", "2"}));
  CHECK(&family.labels({"1", "2"}) != &family.labels({"2", "1"}));
}

TEST_CASE("a counter never goes down", "[metrics]") {
  metrics::registry registry;
  auto& count = registry.add_counter("monotonic_total", "x").get();
  count.inc(2);
  CHECK_THROWS_AS(count.inc(-1), std::invalid_argument);
  CHECK_THROWS_AS(count.inc(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK(count.value() == 2.0);
  count.inc(0);
  CHECK(count.value() == 2.0);
}

TEST_CASE("histogram bounds are validated and observations land in the right bucket", "[metrics]") {
  CHECK_THROWS_AS(metrics::histogram({1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(metrics::histogram({2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(metrics::histogram({1, std::numeric_limits<double>::infinity()}),
                  std::invalid_argument);
  CHECK_THROWS_AS(metrics::histogram({std::numeric_limits<double>::quiet_NaN()}),
                  std::invalid_argument);
  metrics::registry registry;
  CHECK_THROWS_AS(registry.add_histogram("bad_seconds", "x", {}, {0.5, 0.1}),
                  std::invalid_argument);
  CHECK_NOTHROW(registry.add_histogram("bad_seconds", "x", {}, {0.1, 0.5}));

  metrics::histogram sizes({10, 100});
  sizes.observe(10);  // `le` is inclusive
  sizes.observe(10.5);
  sizes.observe(100);
  sizes.observe(1000);
  sizes.observe(-1);
  CHECK(sizes.cumulative_counts() == std::vector<std::uint64_t>{2, 4, 5});
  CHECK(sizes.count() == 5);
  CHECK(sizes.sum() == 10 + 10.5 + 100 + 1000 - 1);

  CHECK(metrics::default_duration_buckets() ==
        std::vector<double>{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5,
                            2, 2.5, 3, 5, 10, 30, 60});
  metrics::registry defaults;
  defaults.add_histogram("default_seconds", "x").get().observe(0.003);
  const auto parsed = parse_prometheus_text(defaults.expose());
  CHECK(parsed.families.at(0).samples.size() == 19 + 1 + 2);
  // The 2 s latency objective is a bucket bound.
  CHECK(parsed.value("default_seconds_bucket", {{"le", "2"}}) == 1.0);
  CHECK(parsed.value("default_seconds_bucket", {{"le", "0.0025"}}) == 0.0);
  CHECK(parsed.value("default_seconds_bucket", {{"le", "0.005"}}) == 1.0);
  CHECK(parsed.value("default_seconds_bucket", {{"le", "60"}}) == 1.0);
}

TEST_CASE("concurrent updates from 8 threads add up exactly", "[metrics]") {
  metrics::registry registry;
  auto& counters = registry.add_counter("hits_total", "x", {"shard"});
  auto& level = registry.add_gauge("level", "x").get();
  auto& sizes = registry.add_histogram("sizes", "x", {}, {0.5}).get();
  constexpr int thread_count = 8;
  constexpr int increments = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      // Every thread looks up the shared series itself, racing on its creation.
      auto& shared = counters.labels({"shared"});
      auto& own = counters.labels({"own-" + std::to_string(t)});
      for (int i = 0; i < increments; ++i) {
        shared.inc();
        own.inc(0.5);
        level.inc(t % 2 == 0 ? 1 : -1);
        sizes.observe(i % 2 == 0 ? 0.25 : 1);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  const auto parsed = parse_prometheus_text(registry.expose());
  CHECK(parsed.value("hits_total", {{"shard", "shared"}}) == thread_count * increments);
  for (int t = 0; t < thread_count; ++t) {
    CHECK(parsed.value("hits_total", {{"shard", "own-" + std::to_string(t)}}) == increments * 0.5);
  }
  CHECK(parsed.value("level") == 0.0);
  CHECK(parsed.value("sizes_count") == thread_count * increments);
  CHECK(parsed.value("sizes_bucket", {{"le", "0.5"}}) == thread_count * increments / 2);
  CHECK(parsed.value("sizes_sum") == thread_count * (increments / 2) * 1.25);
}

TEST_CASE("collectors run before every exposition", "[metrics]") {
  metrics::registry registry;
  auto& scrapes = registry.add_gauge("scrapes", "Expositions so far.").get();
  registry.add_collector([&scrapes] { scrapes.inc(); });
  CHECK(parse_prometheus_text(registry.expose()).value("scrapes") == 1.0);
  CHECK(parse_prometheus_text(registry.expose()).value("scrapes") == 2.0);
}

TEST_CASE("process metrics are present with plausible values", "[metrics]") {
  metrics::registry registry;
  metrics::register_process_metrics(registry);
  CHECK_THROWS_AS(metrics::register_process_metrics(registry), std::invalid_argument);

  const auto first = parse_prometheus_text(registry.expose());
  REQUIRE(first.find("process_cpu_seconds_total") != nullptr);
  CHECK(first.find("process_cpu_seconds_total")->type == "counter");
  for (const auto* name : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_start_time_seconds", "process_open_fds", "process_max_fds"}) {
    INFO(name);
    REQUIRE(first.find(name) != nullptr);
    CHECK(first.find(name)->type == "gauge");
  }
  const double rss = first.value("process_resident_memory_bytes").value();
  const double open_fds = first.value("process_open_fds").value();
  CHECK(rss > 0);
  CHECK(first.value("process_virtual_memory_bytes").value() >= rss);
  CHECK(open_fds >= 3);
  CHECK(first.value("process_max_fds").value() >= open_fds);
  CHECK(first.value("process_cpu_seconds_total").value() >= 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = first.value("process_start_time_seconds").value();
  CHECK(start <= now);
  CHECK(start > now - 24 * 3600);

  // Values are read again at each exposition.
  std::vector<int> extra_fds;
  for (int i = 0; i < 5; ++i) {
    extra_fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(extra_fds.back() >= 0);
  }
  const auto second = parse_prometheus_text(registry.expose());
  for (const int fd : extra_fds) {
    close(fd);
  }
  CHECK(second.value("process_open_fds").value() >= open_fds + 5);
  CHECK(second.value("process_cpu_seconds_total").value() >=
        first.value("process_cpu_seconds_total").value());
  CHECK(second.value("process_start_time_seconds") == start);
}

TEST_CASE("the exposition parser rejects malformed text", "[metrics]") {
  const std::string valid =
      "# HELP a_seconds x\n# TYPE a_seconds histogram\n"
      "a_seconds_bucket{le=\"1\"} 1\na_seconds_bucket{le=\"+Inf\"} 2\n"
      "a_seconds_sum 3\na_seconds_count 2\n";
  CHECK(parse_prometheus_text(valid).families.size() == 1);

  const std::vector<std::string> malformed = {
      "a 1\n",                                                       // no TYPE
      "# TYPE a gauge\na 1",                                         // no final newline
      "# TYPE a gauge\na 1\na 2\n",                                  // duplicate series
      "# TYPE a gauge\nb 1\n",                                       // sample of another family
      "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n",  // family split
      "# TYPE a gauge\n# TYPE a gauge\na 1\n",                       // second TYPE
      "# TYPE a gauge\na{x=\"1\",} 1\n",                             // trailing comma
      "# TYPE a gauge\na{x=\"\\t\"} 1\n",                            // unknown escape
      "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",                      // repeated label
      "# TYPE a gauge\na{__x=\"1\"} 1\n",                            // reserved label name
      "# TYPE a gauge\na  1\n",                                      // two spaces
      "# TYPE a gauge\na 1 1700000000\n",                            // timestamp
      "# TYPE a gauge\na inf\n",                                     // lowercase infinity
      "# TYPE a counter\na -1\n",                                    // negative counter
      "# TYPE a_seconds histogram\na_seconds_bucket{le=\"1\"} 2\n"
      "a_seconds_bucket{le=\"+Inf\"} 1\na_seconds_sum 3\na_seconds_count 1\n",  // not cumulative
      "# TYPE a_seconds histogram\na_seconds_bucket{le=\"1\"} 1\n"
      "a_seconds_sum 3\na_seconds_count 1\n",  // no +Inf bucket
      "# TYPE a_seconds histogram\na_seconds_bucket{le=\"+Inf\"} 2\n"
      "a_seconds_sum 3\na_seconds_count 3\n",  // +Inf differs from _count
      "# TYPE a_seconds histogram\na_seconds_bucket{le=\"+Inf\"} 2\n"
      "a_seconds_count 2\n",  // no _sum
  };
  for (const auto& text : malformed) {
    INFO(text);
    CHECK_THROWS_AS(parse_prometheus_text(text), std::runtime_error);
  }
}
