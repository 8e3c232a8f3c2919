#!/usr/bin/env bash
# A/B of two optimised builds of the API in the same run: both APIs run side by side on the same
# private PostgreSQL and Redis and issuer, and wrk (-t2 -c64) drives each in turn, ROUNDS times,
# on GET /api/v1/me (bearer JWT: token check, deny-list and rate-limit script) and
# POST /api/v1/memories (202: validation, one enqueue script). For every run it reads the API's
# and Redis's CPU time from /proc and prints requests/s, p99, and CPU per request, then the
# medians per build and their ratio (B/A). Use it to check that a change does not make the hot
# path dearer. Not part of the test suite.
#   bench/compare-builds.sh BUILD_DIR_A BUILD_DIR_B [DURATION_SECONDS] [ROUNDS]
# Each BUILD_DIR is a configured release build (cmake --preset release -B DIR) of a checkout,
# with gpt-adapter-api and gpt-adapter-admin built.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: bench/compare-builds.sh BUILD_DIR_A BUILD_DIR_B [DURATION_SECONDS] [ROUNDS]" >&2
  exit 2
fi
build_a=$(cd "$1" && pwd)
build_b=$(cd "$2" && pwd)
duration=${3:-5}
rounds=${4:-3}
for build in "$build_a" "$build_b"; do
  [ -x "$build/api/gpt-adapter-api" ] || {
    echo "$build/api/gpt-adapter-api is missing: build it first" >&2
    exit 2
  }
done

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
start_scratch_databases "$build_a"
create_bench_application "$build_a"
# One issuer for both, so the same token is valid at either API.
issuer_port=$(free_port)
export JWT_ISSUER="http://127.0.0.1:$issuer_port"
declare -A port pid
for name in A B; do
  bin=$build_a
  [ "$name" = B ] && bin=$build_b
  port[$name]=$(free_port)
  API_PORT=${port[$name]} "$bin/api/gpt-adapter-api" >"$work/api-$name.log" 2>&1 &
  pid[$name]=$!
  started_pids+=($!)
  wait_for "API $name" curl -fso /dev/null "http://127.0.0.1:${port[$name]}/health/ready"
done
api_port=${port[A]}
token=$(client_credentials_token)
redis_pid=$(redis-cli -p "$redis_port" INFO server | tr -d '\r' | awk -F: '/^process_id:/ {print $2}')

# cpu_ticks PID: user + system clock ticks the process has used (fields 14 and 15 of stat,
# counted after the command name, which may hold spaces: "redis-server 127.0.0.1:PORT").
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
ticks_per_second=$(getconf CLK_TCK)

create_script=$work/create.lua
printf '%s\n' 'wrk.method = "POST"' 'wrk.headers["Content-Type"] = "application/json"' \
  'wrk.body = "{\"content\":\"prefers green tea in the morning\",\"categories\":[\"preferences\"]}"' \
  >"$create_script"
me_script=$work/me.lua
echo 'wrk.method = "GET"' >"$me_script"

# measure NAME ROUTE SCRIPT: one wrk run; prints "req/s p99_ms api_us redis_us".
measure() {
  local name=$1 route=$2 script=$3 api_before redis_before output requests
  wrk -t 2 -c 64 -d 1s -s "$script" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:${port[$name]}$route" >/dev/null
  api_before=$(cpu_ticks "${pid[$name]}")
  redis_before=$(cpu_ticks "$redis_pid")
  output=$(wrk -t 2 -c 64 -d "${duration}s" --latency -s "$script" \
    -H "Authorization: Bearer $token" "http://127.0.0.1:${port[$name]}$route")
  if grep -q "Non-2xx" <<<"$output"; then
    echo "API $name answered errors on $route:" >&2
    echo "$output" >&2
    exit 1
  fi
  requests=$(awk '/requests in/ {print $1}' <<<"$output")
  awk -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$output")" \
    -v p99="$(awk '$1 == "99%" {print $2}' <<<"$output")" \
    -v api=$(($(cpu_ticks "${pid[$name]}") - api_before)) \
    -v redis=$(($(cpu_ticks "$redis_pid") - redis_before)) \
    -v n="$requests" -v hz="$ticks_per_second" 'BEGIN {
      unit = substr(p99, length(p99) - 1); value = p99 + 0
      if (unit == "us") value /= 1000; else if (p99 ~ /[0-9]s$/) value *= 1000
      printf "%.0f %.2f %.1f %.1f\n", rps, value, api / hz / n * 1e6, redis / hz / n * 1e6
    }'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "machine: $(nproc) cores; wrk -t2 -c64 -d${duration}s, $rounds rounds, A and B alternating"
echo "A: $build_a"
echo "B: $build_b"
for route in /api/v1/me /api/v1/memories; do
  script=$me_script
  [ "$route" = /api/v1/memories ] && script=$create_script
  : >"$work/A.txt"
  : >"$work/B.txt"
  echo
  echo "$route"
  printf '  %-6s %-5s %10s %8s %14s %16s\n' round build req/s p99_ms "API_us/req" "Redis_us/req"
  for round in $(seq "$rounds"); do
    for name in A B; do
      result=$(measure "$name" "$route" "$script")
      echo "$result" >>"$work/$name.txt"
      read -r rps p99 api redis <<<"$result"
      printf '  %-6s %-5s %10s %8s %14s %16s\n' "$round" "$name" "$rps" "$p99" "$api" "$redis"
    done
  done
  for column in 1 3 4; do
    a=$(awk -v c=$column '{print $c}' "$work/A.txt" | median)
    b=$(awk -v c=$column '{print $c}' "$work/B.txt" | median)
    label=$(case $column in 1) echo "req/s" ;; 3) echo "API CPU/request (us)" ;; 4) echo "Redis CPU/request (us)" ;; esac)
    awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN {printf "  median %-24s A %8s  B %8s  B/A %.2f\n", l, a, b, (a > 0 ? b / a : 0)}'
  done
done
