#!/usr/bin/env bash
# Shows that an application's rate limit holds globally across API replicas: two APIs share one
# Redis, wrk drives both at once with many connections (far above the limit), and the script
# prints how many requests each replica accepted, the total against the configured limit, and
# the RateLimit-Policy / RateLimit / Retry-After headers of an accepted and a refused answer.
# The limit is a GCRA: an idle application may spend its whole per-minute limit at once (the
# burst), then earns limit/60 requests per second. The script first spends the burst (driving
# both replicas until they refuse), then measures the steady rate over DURATION_SECONDS: accepted should be limit x DURATION / 60, within
# a few percent, whatever the number of replicas. Not part of the test suite.
#   bench/rate-limit.sh [LIMIT_PER_MINUTE] [DURATION_SECONDS] [CONNECTIONS_PER_REPLICA]
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured build to use instead of the `release`
# preset's (the limit's accuracy does not depend on the build type).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-6000}
duration=${2:-60}
connections=${3:-32}

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-api gpt-adapter-admin
start_scratch_databases "$bin"
created=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" app create --name limited \
  --rate-limit "$limit" --json 2>/dev/null)
bench_client_id=$(jq -r .client_id <<<"$created")
start_api "$bin"
first_port=$api_port
# The second replica: same databases, Redis and issuer.
second_port=$(free_port)
API_PORT=$second_port "$bin/api/gpt-adapter-api" >"$work/api-2.log" 2>&1 &
started_pids+=($!)
wait_for "the second API" curl -fso /dev/null "http://127.0.0.1:$second_port/health/ready"

# An API key, not a token from the token endpoint: the token endpoint's own attempt limits are
# not what is measured. Every request below counts against the application's one limit.
api_key=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" key create \
  --app "$bench_client_id" --json 2>/dev/null | jq -r .api_key)
headers=$(curl -sS -D - -o /dev/null -H "Authorization: Bearer $api_key" \
  "http://127.0.0.1:$first_port/api/v1/me")

# run_both SECONDS: wrk against both replicas at once; prints "accepted refused total" per replica.
run_both() {
  local seconds=$1 port pids=()
  for port in "$first_port" "$second_port"; do
    wrk -t 2 -c "$connections" -d "${seconds}s" -H "Authorization: Bearer $api_key" \
      "http://127.0.0.1:$port/api/v1/me" >"$work/wrk-$port.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
  for port in "$first_port" "$second_port"; do
    awk '/ requests in / { total = $1 } /Non-2xx or 3xx responses:/ { refused = $5 }
         END { printf "%d %d %d\n", total - refused, refused, total }' "$work/wrk-$port.txt"
  done
}

# Spend the burst: drive both replicas until they refuse, then measure the steady rate.
burst_spent=false
for _ in $(seq 30); do
  if awk '{ refused += $2 } END { exit !(refused > 0) }' < <(run_both 2); then
    burst_spent=true
    break
  fi
done
if ! $burst_spent; then
  echo "the replicas never refused in 60 s: wrk cannot outrun a limit of $limit/min here" >&2
  exit 1
fi
run_both "$duration" >"$work/measured.txt" &
measuring=$!
# A refused answer, asked for while wrk keeps the limit spent.
refused_headers=
while kill -0 "$measuring" 2>/dev/null; do
  refused_headers=$(curl -sS -D - -o /dev/null -H "Authorization: Bearer $api_key" \
    "http://127.0.0.1:$second_port/api/v1/me")
  if grep -q '^HTTP/1.1 429' <<<"$refused_headers"; then
    break
  fi
done
wait "$measuring"
measured=$(cat "$work/measured.txt")

read -r a1 r1 t1 <<<"$(sed -n 1p <<<"$measured")"
read -r a2 r2 t2 <<<"$(sed -n 2p <<<"$measured")"
echo "machine: $(nproc) cores; build $bin; limit $limit/min; wrk -t2 -c$connections -d${duration}s on each of 2 replicas"
echo "replica 1: $t1 requests, $a1 accepted, $r1 refused (429)"
echo "replica 2: $t2 requests, $a2 accepted, $r2 refused (429)"
awk -v a=$((a1 + a2)) -v limit="$limit" -v d="$duration" 'BEGIN {
  expected = limit * d / 60
  printf "accepted by both: %d in %ds = %.1f/min; the limit allows %.0f: %+.2f%%\n",
    a, d, a * 60 / d, expected, 100 * (a - expected) / expected
}'
echo "an accepted answer (replica 1, before the run):"
grep -iE '^(HTTP/|ratelimit|retry-after)' <<<"$headers" | tr -d '\r' | sed 's/^/  /'
echo "a refused answer (replica 2, during the run):"
grep -iE '^(HTTP/|ratelimit|retry-after)' <<<"$refused_headers" | tr -d '\r' | sed 's/^/  /'
