#include "tests/support/metric_references.hpp"

#include <catch2/catch.hpp>

using namespace gpt_adapter::testing;

namespace {

std::vector<std::string> metrics_of(const promql_references& references) {
  std::vector<std::string> names;
  for (const auto& selector : references.selectors) {
    names.push_back(selector.metric);
  }
  return names;
}

}  // namespace

TEST_CASE("PromQL: selectors, their labels and the counter functions over them",
          "[unit][metric_references]") {
  const auto parsed = parse_promql(
      R"x(sum by (route) (rate(gpt_adapter_http_requests_total{status=~"5..", route!="/health"}[5m]))
        / ignoring(status) sum(gpt_adapter_http_requests_in_flight) > bool 0.01)x");
  REQUIRE(metrics_of(parsed) == std::vector<std::string>{"gpt_adapter_http_requests_total",
                                                         "gpt_adapter_http_requests_in_flight"});
  CHECK(parsed.selectors[0].labels == std::set<std::string>{"status", "route"});
  CHECK(parsed.selectors[0].counter_function);
  CHECK(parsed.selectors[1].labels.empty());
  CHECK_FALSE(parsed.selectors[1].counter_function);
  CHECK(parsed.grouping_labels == std::set<std::string>{"route", "status"});
}

TEST_CASE("PromQL: histogram_quantile, subqueries, offsets, numbers and keywords are no metrics",
          "[unit][metric_references]") {
  const auto parsed = parse_promql(
      "histogram_quantile(0.95, sum without (instance) (increase(x_seconds_bucket[5m:1m] "
      "offset 1h))) > 2 and on (namespace) group_left max(absent(up{job=\"w\"})) unless "
      "vector(1e3) # a comment naming not_a_metric\n or deriv(backlog[10m]) * 60");
  CHECK(metrics_of(parsed) == std::vector<std::string>{"x_seconds_bucket", "up", "backlog"});
  CHECK(parsed.selectors[0].counter_function);
  CHECK_FALSE(parsed.selectors[2].counter_function);
  CHECK(parsed.selectors[1].labels == std::set<std::string>{"job"});
  CHECK(parsed.grouping_labels == std::set<std::string>{"instance", "namespace"});
}

TEST_CASE("PromQL: a bare selector names its metric by __name__; strings hide names",
          "[unit][metric_references]") {
  const auto parsed = parse_promql(R"x({__name__="foo_total", a='x{y}'} + label_x{b=`z"`})x");
  REQUIRE(metrics_of(parsed) == std::vector<std::string>{"foo_total", "label_x"});
  CHECK(parsed.selectors[0].labels == std::set<std::string>{"a"});
  CHECK(parsed.selectors[1].labels == std::set<std::string>{"b"});
}

TEST_CASE("PromQL: Grafana variables and prometheus-adapter templates are skipped",
          "[unit][metric_references]") {
  const auto grafana = parse_promql(
      R"x(sum by (application_id) (rate(gpt_adapter_rate_limit_rejections_total{namespace=~"$namespace"}[$__rate_interval])) * ${factor})x");
  REQUIRE(metrics_of(grafana) ==
          std::vector<std::string>{"gpt_adapter_rate_limit_rejections_total"});
  CHECK(grafana.selectors[0].labels == std::set<std::string>{"namespace"});

  const auto adapter = parse_promql("max(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)");
  CHECK(adapter.selectors.empty());
  const auto series = parse_promql(R"x(gpt_adapter_queue_backlog_jobs{namespace!=""})x");
  REQUIRE(metrics_of(series) == std::vector<std::string>{"gpt_adapter_queue_backlog_jobs"});
}

TEST_CASE("PromQL: malformed expressions are refused", "[unit][metric_references]") {
  CHECK_THROWS_AS(parse_promql("sum(rate(x[5m])"), std::invalid_argument);
  CHECK_THROWS_AS(parse_promql("x{a=\"b}"), std::invalid_argument);
  CHECK_THROWS_AS(parse_promql("x{a}"), std::invalid_argument);
  CHECK_THROWS_AS(parse_promql("x[5m"), std::invalid_argument);
  CHECK_THROWS_AS(parse_promql("x)"), std::invalid_argument);
}

TEST_CASE("YAML: expressions as plain, quoted and block scalars", "[unit][metric_references]") {
  const auto expressions = yaml_promql_expressions(R"x(groups:
  - name: g
    rules:
      - alert: A
        expr: rate(a_total[5m]) > 0 # why
        for: 5m
      - alert: B
        expr: |
          sum(b_total)
            / sum(c_total)

        labels: {severity: page}
      - expr: 'x{a="it''s"}'
        record: r
      - expr: "y{b=\"q\"}"
      - alert: C
        expr: >-
          d
          > 1
rules:
  - seriesQuery: 'gpt_adapter_queue_backlog_jobs{namespace!=""}'
    metricsQuery: max(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
exprs_not_a_key: nope
)x");
  CHECK(expressions ==
        std::vector<std::string>{"rate(a_total[5m]) > 0", "sum(b_total)\n/ sum(c_total)",
                                 "x{a=\"it's\"}", "y{b=\"q\"}", "d\n> 1",
                                 "gpt_adapter_queue_backlog_jobs{namespace!=\"\"}",
                                 "max(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)"});
  CHECK_THROWS_AS(yaml_promql_expressions("expr: 'unterminated\n  more'"), std::invalid_argument);
}

TEST_CASE("JSON: every expr at any depth of a dashboard", "[unit][metric_references]") {
  const auto expressions = json_promql_expressions(
      R"x({"panels":[{"targets":[{"expr":"a"},{"expr":"b"}]},{"panels":[{"targets":[{"expr":"c"}]}]}],
          "templating":{"list":[{"query":"label_values(d, e)"}]
}
, "expr" : 1
})x");
  CHECK(expressions == std::vector<std::string>{"a", "b", "c"});
  CHECK_THROWS(json_promql_expressions("{"));
}

TEST_CASE("namespaced words in prose and manifests", "[unit][metric_references]") {
  const auto words = namespaced_words(
      "name: gpt_adapter_queue_backlog_jobs\n# see gpt_adapter_http_requests_total{route}, "
      "not xgpt_adapter_y nor gpt_adapter_ or gpt_adapter_app; postgresql://gpt_adapter_owner@",
      {"gpt_adapter_app", "gpt_adapter_owner"});
  CHECK(words ==
        std::set<std::string>{"gpt_adapter_queue_backlog_jobs", "gpt_adapter_http_requests_total"});
}
