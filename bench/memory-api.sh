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
root=$(pwd)
duration=${1:-10}

bin=${GPT_ADAPTER_BENCH_BUILD_DIR:-$root/build/release}
if [ -z "${GPT_ADAPTER_BENCH_BUILD_DIR:-}" ]; then
  cmake --preset release >/dev/null
fi
cmake --build "$bin" --parallel "$(nproc)" \
  --target gpt-adapter-api gpt-adapter-admin gpt-adapter-worker memory-bank-dev >/dev/null

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
start_scratch_databases "$bin"

app_json=$(DATABASE_URL=$owner_url REDIS_URL="redis://127.0.0.1:$redis_port/0" \
  "$bin/tools/gpt-adapter-admin" app create --name bench --json 2>/dev/null)
client_id=$(jq -r .client_id <<<"$app_json")
client_secret=$(jq -r .client_secret <<<"$app_json")
# Measure the cost of checking the limit, not of refusing.
psql_owner "$pg_port" gpt_adapter -c \
  "UPDATE custom_gpt_applications SET rate_limit_per_minute = 1000000000" >/dev/null

app_db_password=$(cat "$work/app-db-password")
export DATABASE_URL="postgresql://gpt_adapter_app:$app_db_password@127.0.0.1:$pg_port/gpt_adapter"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
JWT_SECRET_KEY=$(openssl rand -hex 32)
export JWT_SECRET_KEY
export LOG_LEVEL=warn GPT_ADAPTER_ENV_FILE=/dev/null API_HOST=127.0.0.1 WORKER_OPS_HOST=127.0.0.1

api_port=$(free_port)
export JWT_ISSUER="http://127.0.0.1:$api_port"
API_PORT=$api_port "$bin/api/gpt-adapter-api" >"$work/api.log" 2>&1 &
started_pids+=($!)
wait_for "the API" curl -fso /dev/null "http://127.0.0.1:$api_port/health/ready"

token=$(curl -fsS -u "$client_id:$client_secret" -d grant_type=client_credentials \
  "http://127.0.0.1:$api_port/oauth/token" | jq -r .access_token)

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
status=$(curl -so /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H "Content-Type: application/json" -d "$create_body" "http://127.0.0.1:$api_port/api/v1/memories")
if [ "$status" != 202 ]; then
  echo "POST /api/v1/memories answered $status; log:" >&2
  cat "$work/api.log" >&2
  exit 1
fi
create=$(run_wrk /api/v1/memories "$(post_script "$create_body")")
queued=$(redis-cli -p "$redis_port" XLEN '{gpt-adapter}:jobs')
# One audit event per answer, appended with the job: the creates plus the token request.
audited=$(redis-cli -p "$redis_port" XLEN '{gpt-adapter}:audit')

# The search round trip needs the worker and the dev Memory Bank. The creates queued above are
# dropped first, or the worker would spend the measurement on them.
redis-cli -p "$redis_port" DEL '{gpt-adapter}:jobs' >/dev/null
redis-cli -p "$redis_port" XGROUP CREATE '{gpt-adapter}:jobs' workers 0 MKSTREAM >/dev/null
bank_port=$(free_port)
"$bin/tools/memory-bank-dev/memory-bank-dev" --host 127.0.0.1 --port "$bank_port" \
  >"$work/memory-bank.log" 2>&1 &
started_pids+=($!)
wait_for "the dev Memory Bank" curl -fsS "http://127.0.0.1:$bank_port/health"
WORKER_OPS_PORT=$(free_port) MEMORY_BANK_URL="http://127.0.0.1:$bank_port" \
  MEMORY_BANK_DIALECT=mem0-oss "$bin/worker/gpt-adapter-worker" >"$work/worker.log" 2>&1 &
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
