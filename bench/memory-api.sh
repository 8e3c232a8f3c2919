#!/usr/bin/env bash
# Measures the Custom GPT-facing memory endpoints on a release build against private PostgreSQL
# and Redis, with wrk at 64 connections on this machine:
#  1. POST /api/v1/memories with a valid bearer token (authentication, deny-list check and
#     rate-limit script in one round trip, validation, then one enqueue script that also appends
#     the audit event; answers 202). No worker runs: the jobs stay queued, so only the API is
#     measured.
#  2. POST /api/v1/search as a synchronous round trip: API -> jobs stream -> worker -> dev
#     Memory Bank (zero latency) -> completion notification -> API answers 200.
# Not part of the test suite.
#   bench/memory-api.sh [DURATION_SECONDS]
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured optimised build to use instead of the
# `release` preset's.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-api gpt-adapter-admin gpt-adapter-worker memory-bank-dev
start_scratch_databases "$bin"
create_bench_application "$bin"
start_api "$bin"
token=$(client_credentials_token)

# post_script BODY: a wrk script that POSTs BODY as JSON.
post_script() {
  local file
  file=$(mktemp "$work/wrk-XXXXXX.lua")
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
    "$(jq -Rn --arg body "$1" '$body')" >"$file"
  echo "$file"
}

# run_wrk TARGET SCRIPT: wrk's summary after a short warm-up.
run_wrk() {
  local target=$1 script=$2
  wrk -t 2 -c 64 -d 2s -s "$script" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$api_port$target" >/dev/null
  wrk -t 2 -c 64 -d "${duration}s" --latency -s "$script" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$api_port$target"
}
summary() { grep -E "Requests/sec|Latency |50%|99%|Non-2xx|Socket errors"; }

create_body='{"content":"prefers green tea in the morning","categories":["preferences"]}'
expect_api_status 202 "POST /api/v1/memories" -H "Authorization: Bearer $token" \
  -H "Content-Type: application/json" -d "$create_body" "http://127.0.0.1:$api_port/api/v1/memories"
create=$(run_wrk /api/v1/memories "$(post_script "$create_body")")
queued=$(redis-cli -p "$redis_port" XLEN '{gpt-adapter}:jobs')
# One audit event per answer, appended with the job: the creates plus the token request.
audited=$(redis-cli -p "$redis_port" XLEN '{gpt-adapter}:audit')

# The search round trip needs the worker and the dev Memory Bank. The creates queued above are
# dropped first, or the worker would spend the measurement on them.
redis-cli -p "$redis_port" DEL '{gpt-adapter}:jobs' >/dev/null
redis-cli -p "$redis_port" XGROUP CREATE '{gpt-adapter}:jobs' workers 0 MKSTREAM >/dev/null
start_dev_memory_bank "$bin"
WORKER_OPS_PORT=$(free_port) "$bin/worker/gpt-adapter-worker" >"$work/worker.log" 2>&1 &
started_pids+=($!)
search_body='{"query":"green tea","limit":10}'
search_answers_200() {
  [ "$(curl -so /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" -d "$search_body" \
    "http://127.0.0.1:$api_port/api/v1/search")" = 200 ]
}
wait_for "a search answered 200" search_answers_200
search=$(run_wrk /api/v1/search "$(post_script "$search_body")")

echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c64 -d${duration}s on the same machine"
echo "POST /api/v1/memories (202, bearer JWT; $queued jobs queued, $audited audit events):"
summary <<<"$create"
echo "POST /api/v1/search, synchronous round trip through the worker and the dev Memory Bank:"
summary <<<"$search"
