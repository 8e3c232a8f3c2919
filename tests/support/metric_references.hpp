#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

// What the deployment files (manifests, alert and recording rules, dashboards) say about the
// metrics our processes export: the metric names and label names they use. Pure text work, no
// I/O; the metric vocabulary test compares the result with real scrapes.
namespace gpt_adapter::testing {

// One series selector in a PromQL expression, e.g. `foo_total{route="/x"}`.
struct metric_selector {
  std::string metric;             // as written, e.g. `foo_seconds_bucket`
  std::set<std::string> labels;   // label names matched in its braces
  bool counter_function = false;  // the argument of rate, irate, increase or resets
};

struct promql_references {
  std::vector<metric_selector> selectors;  // in the order of the text
  // Label names in by/without/on/ignoring/group_left/group_right lists and the label-name
  // arguments of label_replace/label_join are not included (rules here do not use them).
  std::set<std::string> grouping_labels;
};

// The selectors and grouping labels of a PromQL expression. Skips strings, durations, numbers,
// Grafana variables ($x, ${x}) and prometheus-adapter templates (<<.Series>>, whose label
// matchers are then not known). Throws std::invalid_argument on unbalanced brackets or an
// unterminated string.
promql_references parse_promql(std::string_view expression);

// The PromQL expressions in a YAML text: the values of `expr`, `seriesQuery` and `metricsQuery`
// keys, written plain, single- or double-quoted, or as `|`/`>` block scalars. Line-based: it
// needs no YAML library and reads Helm templates too. Throws std::invalid_argument for a quoted
// value that does not end on its line.
std::vector<std::string> yaml_promql_expressions(std::string_view yaml);

// The `expr` strings at any depth of a JSON document (a Grafana dashboard's panel targets).
// Throws on invalid JSON.
std::vector<std::string> json_promql_expressions(std::string_view json);

// Every word of our metric namespace (`gpt_adapter_...`) in any text: prose, HPA metric names,
// adapter renames. Words in `ignored` (e.g. database role names) are left out.
std::set<std::string> namespaced_words(std::string_view text,
                                       const std::set<std::string>& ignored = {});

}  // namespace gpt_adapter::testing
