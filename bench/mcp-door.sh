#!/usr/bin/env bash
# What the MCP front door costs beside the Actions door: the same synchronous search (API ->
# jobs stream -> worker -> dev Memory Bank at zero latency -> API) once as
# POST /api/v1/search and once as an MCP tools/call of searchMemories at POST /mcp, one after the
# other in the same run, wrk -t2 -c64 on this machine, release build. Prints req/s, p99 and the
# CPU per request of the API, the worker and Redis (from /proc), and the MCP/Actions ratios.
# The issue's bar: the MCP door costs at most 20% more API CPU per request. Not part of the
# test suite.
#   bench/mcp-door.sh [DURATION_SECONDS]
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
start_dev_memory_bank "$bin"
start_api "$bin"
api_pid=$(pgrep -f -n "$bin/api/gpt-adapter-api")
WORKER_OPS_PORT=$(free_port) "$bin/worker/gpt-adapter-worker" >"$work/worker.log" 2>&1 &
worker_pid=$!
started_pids+=("$worker_pid")
redis_pid=$(redis-cli -p "$redis_port" INFO server | awk -F: '/^process_id/ { print $2 }' | tr -d '\r')

actions_token=$(client_credentials_token)
# The MCP resource (RFC 8707): PUBLIC_BASE_URL/mcp, with the API's default PUBLIC_BASE_URL.
mcp_token=$(curl -fsS -u "$bench_client_id:$bench_client_secret" -d grant_type=client_credentials \
  --data-urlencode "resource=http://localhost:$api_port/mcp" \
  "http://127.0.0.1:$api_port/oauth/token" | jq -r .access_token)

search_body='{"query":"green tea","limit":10}'
mcp_body=$(jq -cn --argjson arguments "$search_body" \
  '{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:"searchMemories",arguments:$arguments}}')

# wrk_script BODY [HEADER VALUE]...: a wrk script that POSTs BODY as JSON with the headers.
wrk_script() {
  local file body=$1
  shift
  file=$(mktemp "$work/wrk-XXXXXX.lua")
  {
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
    while [ $# -gt 1 ]; do
      printf 'wrk.headers["%s"] = "%s"\n' "$1" "$2"
      shift 2
    done
    printf 'wrk.body = %s\n' "$(jq -Rn --arg body "$body" '$body')"
  } >"$file"
  echo "$file"
}
actions_script=$(wrk_script "$search_body" Authorization "Bearer $actions_token")
mcp_script=$(wrk_script "$mcp_body" Authorization "Bearer $mcp_token" \
  Accept "application/json, text/event-stream" MCP-Protocol-Version 2025-11-25)

search_answers() {
  local target=$1 token=$2 body=$3
  curl -fsS -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -H "Accept: application/json, text/event-stream" -H "MCP-Protocol-Version: 2025-11-25" \
    -d "$body" "http://127.0.0.1:$api_port$target"
}
actions_answers_200() { search_answers /api/v1/search "$actions_token" "$search_body" >/dev/null; }
wait_for "a search answered 200" actions_answers_200
mcp_answer=$(search_answers /mcp "$mcp_token" "$mcp_body")
if [ "$(jq -r '.result.isError' <<<"$mcp_answer")" != false ]; then
  echo "the MCP search did not succeed: $mcp_answer" >&2
  exit 1
fi

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure NAME TARGET SCRIPT: wrk after a warm-up, then CPU per request of the API, worker, Redis.
measure() {
  local name=$1 target=$2 script=$3 output api worker redis
  wrk -t 2 -c 64 -d 2s -s "$script" "http://127.0.0.1:$api_port$target" >/dev/null
  api=$(cpu_ticks "$api_pid")
  worker=$(cpu_ticks "$worker_pid")
  redis=$(cpu_ticks "$redis_pid")
  output=$(wrk -t 2 -c 64 -d "${duration}s" --latency -s "$script" \
    "http://127.0.0.1:$api_port$target")
  if grep -q "Non-2xx" <<<"$output"; then
    echo "$name: some answers were not 2xx:" >&2
    echo "$output" >&2
    exit 1
  fi
  awk -v name="$name" -v hz="$(getconf CLK_TCK)" \
    -v api=$(($(cpu_ticks "$api_pid") - api)) \
    -v worker=$(($(cpu_ticks "$worker_pid") - worker)) \
    -v redis=$(($(cpu_ticks "$redis_pid") - redis)) '
    / requests in / { requests = $1 }
    /Requests\/sec/ { rps = $2 }
    / 99% / { p99 = $2 }
    END {
      us = 1e6 / hz / requests
      printf "%s %.0f %s %.1f %.1f %.1f\n", name, rps, p99, api * us, worker * us, redis * us
    }' <<<"$output"
}

actions=$(measure actions /api/v1/search "$actions_script")
mcp=$(measure mcp /mcp "$mcp_script")

for log in api worker memory-bank; do
  if grep -q '"level":"error"' "$work/$log.log"; then
    echo "the $log logged errors during the run:" >&2
    grep '"level":"error"' "$work/$log.log" | head -5 >&2
    exit 1
  fi
done

echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c64 -d${duration}s on the same machine"
printf '%-34s %8s %9s %9s %11s %10s\n' door req/s p99 "API us" "worker us" "Redis us"
while read -r name rps p99 api worker redis; do
  label="POST /api/v1/search"
  [ "$name" = mcp ] && label="POST /mcp tools/call searchMemories"
  printf '%-34s %8s %9s %9s %11s %10s\n' "$label" "$rps" "$p99" "$api" "$worker" "$redis"
done <<<"$actions
$mcp"
read -r _ _ _ actions_api actions_worker actions_redis <<<"$actions"
read -r _ _ _ mcp_api mcp_worker mcp_redis <<<"$mcp"
awk -v a="$actions_api" -v m="$mcp_api" \
  -v at="$(awk -v x="$actions_api" -v y="$actions_worker" -v z="$actions_redis" 'BEGIN { print x + y + z }')" \
  -v mt="$(awk -v x="$mcp_api" -v y="$mcp_worker" -v z="$mcp_redis" 'BEGIN { print x + y + z }')" \
  'BEGIN {
    printf "MCP / Actions: API CPU per request %.2fx, API + worker + Redis %.2fx (bar: API <= 1.20x)\n",
      m / a, mt / at
  }'
