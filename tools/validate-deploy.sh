#!/usr/bin/env bash
# Validates the deployment files: the configuration reference (tools/check-config-reference.sh),
# YAML lint, every kustomization (base, overlays, examples), the Helm chart (lint, render,
# schema; with the default values and with each charts/gpt-adapter/ci/*-values.yaml) and the
# compose file. A check whose tool is missing is reported as skipped; with --require-all a
# skipped check fails the run.
# Tools: python3, yamllint, kubectl (or kustomize), helm (or npx for the values schema alone,
# plus PyYAML to merge override files over values.yaml), docker compose. Set HELM / KUBECTL to
# use binaries that are not on PATH.
set -euo pipefail

require_all=false
case "${1:-}" in
  --require-all) require_all=true ;;
  "") ;;
  *)
    echo "usage: tools/validate-deploy.sh [--require-all]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."

chart=charts/gpt-adapter
helm=${HELM:-helm}
kubectl=${KUBECTL:-kubectl}
validated=()
skipped=()
failed=()

have() { command -v "$1" >/dev/null 2>&1; }

# run DESCRIPTION COMMAND...: runs one check and records its outcome.
run() {
  local description=$1
  shift
  local output
  if output=$("$@" 2>&1); then
    validated+=("$description")
    echo "ok      $description"
  else
    failed+=("$description")
    echo "FAILED  $description"
    printf '%s\n' "$output" | sed 's/^/        /'
  fi
}

# run_rejects DESCRIPTION COMMAND...: the command must fail (invalid input must be refused).
run_rejects() {
  local description=$1
  shift
  if "$@" >/dev/null 2>&1; then
    failed+=("$description")
    echo "FAILED  $description (was accepted)"
  else
    validated+=("$description")
    echo "ok      $description"
  fi
}

skip() {
  skipped+=("$1")
  echo "skipped $1"
}

# Prints a Python interpreter that has PyYAML (yamllint's dependency), if there is one.
python_with_yaml() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if have "$candidate" && "$candidate" -c 'import yaml' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# merge_values OUT FILE...: deep-merges values files as helm does (later files win) into JSON.
merge_values() {
  local out=$1
  shift
  "$yaml_python" - "$out" "$@" <<'PYTHON'
import json
import sys

import yaml


def merge(base, override):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


merged = {}
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as file:
        merge(merged, yaml.safe_load(file) or {})
with open(sys.argv[1], "w", encoding="utf-8") as file:
    json.dump(merged, file)
PYTHON
}

ci_values=()
for file in "$chart"/ci/*-values.yaml; do
  [ -f "$file" ] && ci_values+=("$file")
done

if have python3; then
  run "tools/check-config-reference.sh (code, .env.example, chart, Kustomize agree)" \
    tools/check-config-reference.sh
else
  skip "configuration reference: python3 is not installed"
fi

if have yamllint; then
  run "yamllint -s . (every YAML file but chart templates)" yamllint -s .
else
  skip "yamllint: not installed"
fi

kustomizations=()
for file in deploy/kubernetes/base/kustomization.yaml deploy/kubernetes/overlays/*/kustomization.yaml \
  deploy/kubernetes/examples/*/kustomization.yaml; do
  [ -f "$file" ] && kustomizations+=("$(dirname "$file")")
done
if have "$kubectl"; then
  for dir in "${kustomizations[@]}"; do
    run "kubectl kustomize $dir" "$kubectl" kustomize "$dir"
  done
elif have kustomize; then
  for dir in "${kustomizations[@]}"; do
    run "kustomize build $dir" kustomize build "$dir"
  done
else
  skip "kustomize builds of ${kustomizations[*]}: neither kubectl nor kustomize is installed"
fi

if have "$helm"; then
  # The chart needs a Secret name or secret values; any name renders.
  existing=(--set secrets.existingSecret=gpt-adapter-secrets)
  run "helm lint --strict $chart (values.schema.json applied)" "$helm" lint --strict "$chart" "${existing[@]}"
  run "helm template $chart: defaults" "$helm" template validate "$chart" "${existing[@]}"
  run "helm template $chart: chart-created Secret, ServiceMonitors, fixed replicas" \
    "$helm" template validate "$chart" --set secrets.create=true \
    --set secrets.databaseUrl=postgresql://user@db:5432/app --set secrets.redisUrl=redis://redis:6379/0 \
    --set secrets.jwtSecretKey=0123456789abcdef0123456789abcdef --set serviceMonitor.enabled=true \
    --set api.autoscaling.enabled=false --set worker.autoscaling.enabled=false
  run "helm template $chart: KEDA instead of the worker HPA" "$helm" template validate "$chart" "${existing[@]}" \
    --set worker.autoscaling.enabled=false --set worker.keda.enabled=true \
    --set worker.keda.redisAddress=redis:6379 --set worker.keda.passwordSecret.name=redis-auth
  run_rejects "helm template $chart rejects an unknown LOG_LEVEL (schema)" \
    "$helm" template validate "$chart" "${existing[@]}" --set config.LOG_LEVEL=loud
  run_rejects "helm template $chart rejects a JWT key under 32 bytes (schema)" \
    "$helm" template validate "$chart" --set secrets.create=true \
    --set secrets.databaseUrl=postgresql://user@db:5432/app --set secrets.redisUrl=redis://redis:6379/0 \
    --set secrets.jwtSecretKey=short
  run_rejects "helm template $chart rejects KEDA together with the worker HPA" \
    "$helm" template validate "$chart" "${existing[@]}" --set worker.keda.enabled=true \
    --set worker.keda.redisAddress=redis:6379
  run_rejects "helm template $chart rejects a grace period shorter than the drain" \
    "$helm" template validate "$chart" "${existing[@]}" --set api.terminationGracePeriodSeconds=20
  run_rejects "helm template $chart requires a Secret" "$helm" template validate "$chart"
  for values in "${ci_values[@]}"; do
    run "helm lint --strict $chart -f $values" "$helm" lint --strict "$chart" -f "$values"
    run "helm template $chart -f $values" "$helm" template validate "$chart" -f "$values"
  done
  run_rejects "helm template $chart rejects RS256 without api.signingKeys (schema)" \
    "$helm" template validate "$chart" "${existing[@]}" --set config.JWT_ALGORITHM=RS256
  run_rejects "helm template $chart rejects verify-only keys without their Secret (schema)" \
    "$helm" template validate "$chart" "${existing[@]}" --set api.signingKeys.verifyOnlyKeys.old=old.pem
  run_rejects "helm template $chart rejects a setting the code does not read (schema)" \
    "$helm" template validate "$chart" "${existing[@]}" --set config.JWT_SECRET_KEY=in-a-configmap
  run_rejects "helm template $chart rejects a soft time limit above the hard one" \
    "$helm" template validate "$chart" "${existing[@]}" --set config.WORKER_SOFT_TIME_LIMIT_MS=130000
elif have npx; then
  skip "helm lint/template of $chart: helm is not installed"
  ajv=(npx --yes ajv-cli@5 validate --spec=draft7 -s "$chart/values.schema.json")
  run "$chart/values.yaml against values.schema.json (ajv-cli, draft-07)" "${ajv[@]}" -d "$chart/values.yaml"
  if yaml_python=$(python_with_yaml); then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    for values in "${ci_values[@]}"; do
      merged="$scratch/$(basename "$values" .yaml).json"
      merge_values "$merged" "$chart/values.yaml" "$values"
      run "$values over values.yaml against values.schema.json (ajv-cli)" "${ajv[@]}" -d "$merged"
    done
    printf 'config:\n  JWT_ALGORITHM: RS256\n' >"$scratch/rs256.yaml"
    merge_values "$scratch/rs256.json" "$chart/values.yaml" "$scratch/rs256.yaml"
    run_rejects "values.schema.json rejects RS256 without api.signingKeys (ajv-cli)" \
      "${ajv[@]}" -d "$scratch/rs256.json"
  else
    skip "${ci_values[*]} against values.schema.json: no python3 with PyYAML to merge them"
  fi
else
  skip "Helm chart and values schema: neither helm nor npx is installed"
fi

if have docker && docker compose version >/dev/null 2>&1; then
  run "docker compose config (deploy/docker/compose.yaml)" \
    docker compose -f deploy/docker/compose.yaml config --quiet
else
  skip "docker compose config: docker compose is not installed"
fi

echo
echo "validate-deploy: ${#validated[@]} validated, ${#skipped[@]} skipped, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
  exit 1
fi
if [ "$require_all" = true ] && [ "${#skipped[@]}" -gt 0 ]; then
  echo "validate-deploy: --require-all and some checks were skipped" >&2
  exit 1
fi
