#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/metric_references.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus_text.hpp"

// One metric vocabulary: every metric and label that the deployment files name - the worker HPA
// and prometheus-adapter rule, the chart, the alert rules, the Grafana dashboard - and every
// gpt_adapter_ metric the runbooks (docs/) and the README mention is checked
// against what the real API and worker export on /metrics, with the type the reference needs.
// A rename on either side without the other fails here.

using namespace gpt_adapter::testing;
namespace fs = std::filesystem;

namespace {

// Labels the scrape adds (Prometheus, Prometheus Operator), not the process.
const std::set<std::string> target_labels = {"job",     "instance",  "namespace", "pod",
                                             "service", "container", "endpoint"};
// Words of our prefix that are not metrics: the PostgreSQL roles, and the metadata keys the
// adapter stores on Memory Bank entries (named in the README).
const std::set<std::string> non_metric_words = {"gpt_adapter_app",        "gpt_adapter_owner",
                                                "gpt_adapter_runtime",    "gpt_adapter_category_",
                                                "gpt_adapter_created_at", "gpt_adapter_request_id"};

struct exported_family {
  std::string type;
  std::set<std::string> labels;  // seen on its samples (histograms without `le`)
  bool has_samples = false;
};

using vocabulary = std::map<std::string, exported_family>;

void add_scrape(vocabulary& into, const prometheus_text& scrape) {
  for (const auto& family : scrape.families) {
    auto& known = into[family.name];
    if (!known.type.empty() && known.type != family.type) {
      FAIL(family.name << " is a " << known.type << " in one process and a " << family.type
                       << " in the other");
    }
    known.type = family.type;
    for (const auto& sample : family.samples) {
      known.has_samples = true;
      for (const auto& [label, value] : sample.labels) {
        if (label != "le") {
          known.labels.insert(label);
        }
      }
    }
  }
}

// The family a sample name belongs to (`x_bucket` of histogram `x`), or nullptr.
const exported_family* family_of(const vocabulary& exported, const std::string& sample,
                                 std::string* family_name = nullptr) {
  if (const auto found = exported.find(sample); found != exported.end()) {
    if (family_name != nullptr) {
      *family_name = sample;
    }
    return &found->second;
  }
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.size() > suffix.size() && sample.ends_with(suffix)) {
      const auto base = sample.substr(0, sample.size() - suffix.size());
      const auto found = exported.find(base);
      if (found != exported.end() && found->second.type == "histogram") {
        if (family_name != nullptr) {
          *family_name = base;
        }
        return &found->second;
      }
    }
  }
  return nullptr;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct referencing_file {
  std::string path;  // relative to the source tree
  std::string text;
};

std::vector<referencing_file> deployment_files() {
  const fs::path source = GPT_ADAPTER_SOURCE_DIR;
  std::vector<referencing_file> files;
  for (const auto* top : {"deploy", "charts", "docs"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source / top)) {
      if (!entry.is_regular_file()) {
        continue;
      }
      const auto extension = entry.path().extension().string();
      if (extension == ".yaml" || extension == ".yml" || extension == ".json" ||
          extension == ".tpl" || extension == ".txt" || extension == ".env" || extension == ".sh" ||
          extension == ".md" || entry.path().filename() == "Dockerfile") {
        files.push_back({fs::relative(entry.path(), source).string(), read_text(entry.path())});
      }
    }
  }
  files.push_back({"README.md", read_text(source / "README.md")});
  return files;
}

std::vector<std::string> expressions_in(const referencing_file& file) {
  if (file.path.ends_with(".json")) {
    return json_promql_expressions(file.text);
  }
  if (file.path.ends_with(".yaml") || file.path.ends_with(".yml")) {
    return yaml_promql_expressions(file.text);
  }
  return {};
}

// What is wrong with the references of one file, one line each.
std::vector<std::string> check_file(const referencing_file& file, const vocabulary& exported,
                                    std::size_t& expressions_checked) {
  std::vector<std::string> problems;
  for (const auto& word : namespaced_words(file.text, non_metric_words)) {
    if (family_of(exported, word) == nullptr) {
      problems.push_back(file.path + ": " + word + " is not exported by the API or the worker");
    }
  }
  for (const auto& expression : expressions_in(file)) {
    ++expressions_checked;
    const auto references = parse_promql(expression);
    std::set<std::string> available = target_labels;
    for (const auto& selector : references.selectors) {
      std::string family_name;
      const auto* family = family_of(exported, selector.metric, &family_name);
      const auto where = file.path + ": " + selector.metric + " in `" + expression + "`";
      if (family == nullptr) {
        problems.push_back(where + " is not exported");
        continue;
      }
      const bool histogram_part = family->type == "histogram" && family_name != selector.metric;
      if (family->type == "histogram" && !histogram_part) {
        problems.push_back(where + " names a histogram, which has only _bucket/_sum/_count");
      }
      if (selector.counter_function && family->type != "counter" && !histogram_part) {
        problems.push_back(where + " is a " + family->type + " under rate/increase");
      }
      if (selector.metric.ends_with("_total") && family->type != "counter") {
        problems.push_back(where + " ends in _total but is a " + family->type);
      }
      if (!family->has_samples && !selector.labels.empty()) {
        problems.push_back(where + " has no series in the scrapes, so its labels are unchecked");
      }
      for (const auto& label : selector.labels) {
        const bool le = label == "le" && selector.metric.ends_with("_bucket") && histogram_part;
        if (family->has_samples && !family->labels.contains(label) &&
            !target_labels.contains(label) && !le) {
          problems.push_back(where + " matches on label " + label + ", which it does not have");
        }
      }
      available.insert(family->labels.begin(), family->labels.end());
      if (histogram_part && selector.metric.ends_with("_bucket")) {
        available.insert("le");
      }
    }
    for (const auto& label : references.grouping_labels) {
      if (!available.contains(label)) {
        problems.push_back(file.path + ": `" + expression + "` groups by " + label +
                           ", which none of its metrics has");
      }
    }
  }
  return problems;
}

// `promtool check metrics` on one scrape: its exit status and output.
std::pair<std::optional<int>, std::string> promtool_check_metrics(const std::string& scrape) {
  temp_dir dir("promtool-check");
  const auto input = dir.path() / "metrics.txt";
  std::ofstream(input, std::ios::binary) << scrape;
  child_process promtool(
      {.argv = {"/bin/sh", "-c", "exec promtool check metrics < \"$0\"", input.string()},
       .output_file = dir.path() / "output.txt"});
  const auto status = promtool.wait_exit(60s);
  return {status, promtool.output()};
}

}  // namespace

TEST_CASE("metric vocabulary: what deploy/ and charts/ name is what the API and worker export",
          "[integration][metrics]") {
  memory_stack stack;
  REQUIRE(stack.worker);
  const auto api_port = stack.port();
  const auto worker_port = stack.worker->port();

  // Traffic, so that labelled families have series: a memory write run by the worker through
  // the Memory Bank (jobs, sinks, Memory Bank calls), a refused bearer token, readiness
  // checks on both processes, a token issued and one refused, and the rate limit tripped.
  const auto token = stack.token(stack.alice);
  const auto accepted = stack.post("/api/v1/memories", token, R"({"content":"likes green tea"})");
  REQUIRE(accepted.status == 202);
  const auto request_id = std::string(accepted.json().as_object().at("request_id").as_string());
  const auto finished = stack.finished_job(request_id, token);
  CHECK(finished.at("status").as_string() == "succeeded");
  CHECK(stack.get("/api/v1/memories", "not-a-token").status == 401);
  for (const auto port : {api_port, worker_port}) {
    REQUIRE(wait_until([&] { return http_get(port, "/health/ready").status == 200; }, 15s, 50ms));
  }
  const std::string form =
      "grant_type=client_credentials&client_id=" + stack.application.client_id +
      "&client_secret=wrong";
  const auto refused =
      http_request(api_port, {.method = boost::beast::http::verb::post,
                              .target = "/oauth/token",
                              .body = form,
                              .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}});
  CHECK(refused.status == 401);
  const auto issued = http_request(
      api_port,
      {.method = boost::beast::http::verb::post,
       .target = "/oauth/token",
       .body = "grant_type=client_credentials&scope=memories:read&client_id=" +
               stack.application.client_id + "&client_secret=" + stack.application.client_secret,
       .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}});
  CHECK(issued.status == 200);
  REQUIRE(stack.admin({"app", "update", stack.application.client_id, "--rate-limit", "1"}).status ==
          0);
  CHECK(wait_until([&] { return stack.get("/api/v1/memories", token).status == 429; }, 15s, 50ms));
  // The worker's gauges of the queue are refreshed on its backlog interval.
  CHECK(wait_until(
      [&] {
        return parse_prometheus_text(http_get(worker_port, "/metrics").body)
            .value("gpt_adapter_queue_jobs", {{"state", "dead"}})
            .has_value();
      },
      15s, 50ms));

  const auto api_scrape = http_get(api_port, "/metrics").body;
  const auto worker_scrape = http_get(worker_port, "/metrics").body;
  vocabulary exported;
  add_scrape(exported, parse_prometheus_text(api_scrape));
  add_scrape(exported, parse_prometheus_text(worker_scrape));

  {  // every metric and label named in deploy/, charts/, docs/ and the README is exported
    std::size_t expressions = 0;
    std::size_t files_with_references = 0;
    std::vector<std::string> problems;
    for (const auto& file : deployment_files()) {
      const auto before = expressions;
      auto found = check_file(file, exported, expressions);
      if (expressions > before || !namespaced_words(file.text, non_metric_words).empty()) {
        ++files_with_references;
      }
      problems.insert(problems.end(), found.begin(), found.end());
    }
    std::string report;
    for (const auto& problem : problems) {
      report += problem + "\n";
    }
    INFO(report);
    CHECK(problems.empty());
    // The files this test exists for: the HPA, the adapter rule, the alerts, the dashboard and
    // their copies. Finding far fewer means the scan stopped seeing them.
    CHECK(expressions >= 60);
    CHECK(files_with_references >= 12);
  }

  {  // the autoscaling metric is the worker's backlog gauge
    const auto* backlog = family_of(exported, "gpt_adapter_queue_backlog_jobs");
    REQUIRE(backlog != nullptr);
    CHECK(backlog->type == "gauge");
    const auto hpa =
        read_text(fs::path(GPT_ADAPTER_SOURCE_DIR) / "deploy/kubernetes/base/worker-hpa.yaml");
    CHECK(hpa.find("name: gpt_adapter_queue_backlog_jobs") != std::string::npos);
  }

  {  // promtool check metrics is clean on both scrapes
    for (const auto* scrape : {&api_scrape, &worker_scrape}) {
      const auto [status, output] = promtool_check_metrics(*scrape);
      INFO(output);
      CHECK(status == 0);
      CHECK(output.empty());
    }
  }
}
