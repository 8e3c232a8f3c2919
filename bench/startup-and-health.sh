#!/usr/bin/env bash
# Prints the API's and the worker's start-to-ready time (process start until /health/ready
# answers 200, PostgreSQL and Redis already up; median of 5 runs) and the API's requests/s on
# GET /health with wrk at 64 connections. Not part of the test suite.
#   bench/startup-and-health.sh [DURATION_SECONDS]
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured optimised build to use instead of the
# `release` preset's.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-api gpt-adapter-worker gpt-adapter-admin
start_scratch_databases "$bin"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# time_to_ready BINARY PORT_VARIABLE: milliseconds from exec to a 200 from /health/ready.
time_to_ready() {
  local binary=$1 port_variable=$2 port started pid
  port=$(free_port)
  started=$(now_ms)
  env "$port_variable=$port" "$binary" >"$work/service.log" 2>&1 &
  pid=$!
  until curl -fso /dev/null "http://127.0.0.1:$port/health/ready"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$binary exited; log:" >&2
      cat "$work/service.log" >&2
      return 1
    fi
  done
  echo $(($(now_ms) - started))
  kill -TERM "$pid"
  wait "$pid"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

api_ms=$(for _ in 1 2 3 4 5; do time_to_ready "$bin/api/gpt-adapter-api" API_PORT; done | median)
worker_ms=$(for _ in 1 2 3 4 5; do time_to_ready "$bin/worker/gpt-adapter-worker" WORKER_OPS_PORT; done | median)

start_api "$bin"
wrk -t 2 -c 64 -d 2s "http://127.0.0.1:$api_port/health" >/dev/null
wrk_out=$(wrk -t 2 -c 64 -d "${duration}s" --latency "http://127.0.0.1:$api_port/health")

echo "machine: $(nproc) cores, $(uname -m)"
echo "api start-to-ready:    ${api_ms} ms (median of 5; target < 200 ms)"
echo "worker start-to-ready: ${worker_ms} ms (median of 5; target < 200 ms)"
echo "GET /health, wrk -t2 -c64 -d${duration}s (API WORKERS=$(nproc)):"
echo "$wrk_out" | grep -E "Requests/sec|Latency|50%|99%|requests in|Socket errors|Non-2xx"
