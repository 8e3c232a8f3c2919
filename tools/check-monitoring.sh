#!/usr/bin/env bash
# Checks the monitoring files against each other and against Prometheus itself:
#   - promtool check rules / promtool test rules on deploy/prometheus/gpt-adapter-alerts.yaml
#     (each alert fires on the synthetic series where it should and stays quiet where it should not);
#   - every alert has a severity (critical or warning) and a runbook_url naming an existing
#     docs/runbooks/<AlertName>.md;
#   - every Grafana panel query is valid PromQL (promtool check rules on a rules file made of them,
#     with the dashboard's variables filled in);
#   - the copies in the chart and the Kustomize example are identical (tools/sync-monitoring.sh
#     --check), the rendered Kustomize example carries exactly these rules and this dashboard, and
#     the chart's PrometheusRule renders these rules (with helm when installed; without it, the
#     template's own transformation - replace the runbook base, indent under spec - is replayed).
# Whether the metrics and labels named here exist is the integration test "metric vocabulary".
# Tools: promtool (Debian package prometheus), python3 with PyYAML, kubectl (or kustomize).
set -euo pipefail

cd "$(dirname "$0")/.."
rules=deploy/prometheus/gpt-adapter-alerts.yaml
tests=deploy/prometheus/gpt-adapter-alerts.test.yaml
dashboard=deploy/grafana/gpt-adapter-dashboard.json
example=deploy/kubernetes/examples/monitoring
chart=charts/gpt-adapter
kubectl=${KUBECTL:-kubectl}
helm=${HELM:-helm}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { echo "== $*"; }

step "promtool check rules"
promtool check rules "$rules"
step "promtool test rules"
promtool test rules "$tests"

step "severity and runbook of every alert"
python3 - "$rules" <<'PY'
import os, sys, yaml
base = "https://gpt-adapter.example.com/docs/runbooks/"
alerts = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r]
problems = []
for rule in alerts:
    name = rule["alert"]
    if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
        problems.append(f"{name}: severity must be critical or warning")
    url = rule.get("annotations", {}).get("runbook_url", "")
    if url != base + name + ".md":
        problems.append(f"{name}: runbook_url must be {base}{name}.md, not {url!r}")
    elif not os.path.isfile(f"docs/runbooks/{name}.md"):
        problems.append(f"{name}: docs/runbooks/{name}.md does not exist")
    for key in ("summary", "description"):
        if not rule.get("annotations", {}).get(key):
            problems.append(f"{name}: no {key} annotation")
if not alerts:
    problems.append("no alerts")
print("\n".join(problems) or f"{len(alerts)} alerts, each with a severity and a runbook")
sys.exit(1 if problems else 0)
PY

step "dashboard queries are valid PromQL"
python3 - "$dashboard" "$work/dashboard-rules.yaml" <<'PY'
import json, sys, yaml
def exprs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from exprs(value)
    elif isinstance(node, list):
        for value in node:
            yield from exprs(value)
found = list(exprs(json.load(open(sys.argv[1]))))
if len(found) < 20:
    sys.exit(f"only {len(found)} panel queries in the dashboard")
fill = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m", "$namespace": ".*"}
rules = []
for index, expr in enumerate(found):
    for variable, value in fill.items():
        expr = expr.replace(variable, value)
    if "$" in expr:
        sys.exit(f"query {index} uses a variable this check does not know: {expr}")
    rules.append({"record": f"dashboard:query_{index}", "expr": expr})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
print(f"{len(found)} panel queries")
PY
promtool check rules "$work/dashboard-rules.yaml"

step "copies in the chart and the Kustomize example"
tools/sync-monitoring.sh --check

step "the rendered Kustomize example"
if command -v "$kubectl" >/dev/null 2>&1; then
  "$kubectl" kustomize "$example" >"$work/example.yaml"
elif command -v kustomize >/dev/null 2>&1; then
  kustomize build "$example" >"$work/example.yaml"
else
  echo "neither kubectl nor kustomize is installed" >&2
  exit 1
fi
python3 - "$work/example.yaml" "$rules" "$dashboard" <<'PY'
import json, sys, yaml
objects = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
rules = yaml.safe_load(open(sys.argv[2]))
if objects["PrometheusRule"]["spec"] != rules:
    sys.exit("the example's PrometheusRule does not carry the rules of " + sys.argv[2])
configmap = objects["ConfigMap"]
if configmap["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
    sys.exit("the dashboard ConfigMap lacks the grafana_dashboard label")
if json.loads(configmap["data"]["gpt-adapter-dashboard.json"]) != json.load(open(sys.argv[3])):
    sys.exit("the example's dashboard ConfigMap differs from " + sys.argv[3])
print("PrometheusRule and dashboard ConfigMap match their sources")
PY

step "the chart's PrometheusRule and dashboard"
if command -v "$helm" >/dev/null 2>&1; then
  "$helm" template check "$chart" --set prometheusRule.enabled=true \
    --set grafanaDashboard.enabled=true \
    --set prometheusRule.runbookBaseUrl=https://runbooks.test/gpt-adapter/ \
    --show-only templates/prometheusrule.yaml --show-only templates/grafana-dashboard.yaml \
    >"$work/chart.yaml"
  echo "rendered with $("$helm" version --short)"
else
  echo "helm is not installed: replaying the templates' transformation instead"
  python3 - "$chart" "$work/chart.yaml" <<'PY'
import re, sys
chart, out = sys.argv[1], sys.argv[2]
rule_template = open(f"{chart}/templates/prometheusrule.yaml").read()
dashboard_template = open(f"{chart}/templates/grafana-dashboard.yaml").read()
expected_rule = ('{{ .Files.Get "files/gpt-adapter-alerts.yaml" | replace '
                 '"https://gpt-adapter.example.com/docs/runbooks/" .Values.prometheusRule.runbookBaseUrl | indent 2 }}')
expected_dashboard = '{{ .Files.Get "files/gpt-adapter-dashboard.json" | indent 4 }}'
if expected_rule not in rule_template or "\nspec:\n" + expected_rule not in rule_template:
    sys.exit("templates/prometheusrule.yaml no longer embeds files/gpt-adapter-alerts.yaml under spec")
if "  gpt-adapter-dashboard.json: |-\n" + expected_dashboard not in dashboard_template:
    sys.exit("templates/grafana-dashboard.yaml no longer embeds files/gpt-adapter-dashboard.json")
rules = open(f"{chart}/files/gpt-adapter-alerts.yaml").read().replace(
    "https://gpt-adapter.example.com/docs/runbooks/", "https://runbooks.test/gpt-adapter/")
dashboard = open(f"{chart}/files/gpt-adapter-dashboard.json").read()
indent = lambda text, n: "\n".join((" " * n + line) if line else line for line in text.split("\n"))
with open(out, "w") as f:
    f.write("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: check\n"
            "spec:\n" + indent(rules, 2) + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            "  name: check-dashboard\n  labels:\n    grafana_dashboard: \"1\"\ndata:\n"
            "  gpt-adapter-dashboard.json: |-\n" + indent(dashboard, 4) + "\n")
PY
fi
python3 - "$work/chart.yaml" "$rules" "$dashboard" <<'PY'
import json, sys, yaml
objects = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
expected = yaml.safe_load(open(sys.argv[2]).read().replace(
    "https://gpt-adapter.example.com/docs/runbooks/", "https://runbooks.test/gpt-adapter/"))
if objects["PrometheusRule"]["spec"] != expected:
    sys.exit("the chart's PrometheusRule does not render the rules of " + sys.argv[2])
configmap = objects["ConfigMap"]
if configmap["metadata"]["labels"].get("grafana_dashboard") != "1":
    sys.exit("the chart's dashboard ConfigMap lacks the grafana_dashboard label")
if json.loads(configmap["data"]["gpt-adapter-dashboard.json"]) != json.load(open(sys.argv[3])):
    sys.exit("the chart's dashboard ConfigMap differs from " + sys.argv[3])
print("the chart renders the rules (runbook base replaced) and the dashboard")
PY
echo "check-monitoring: ok"
