#!/usr/bin/env bash
# Prints requests/s and latency percentiles of an authenticated GET /api/v1/me (bearer JWT from
# the token endpoint's client-credentials grant, and an API key) next to GET /health, with wrk at
# 64 connections, on a release build against private PostgreSQL and Redis. /api/v1/me pays for
# bearer authentication (a cached token verification, cached application lookup) and one Redis
# script that checks the revocation deny-list and the GCRA rate limit; the comparison with
# /health shows their cost. The same JWT against a second API with ACCESS_TOKEN_CACHE_ENTRIES=0,
# and each API's CPU time per request, show what verifying the token every time would cost.
# Not part of the test suite.
#   bench/api-me.sh [DURATION_SECONDS]
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured optimised build to use instead of the
# `release` preset's.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-api gpt-adapter-admin
start_scratch_databases "$bin"
create_bench_application "$bin"
api_key=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" key create \
  --app "$bench_client_id" --json 2>/dev/null | jq -r .api_key)
start_api "$bin"
cached_port=$api_port
cached_pid=${started_pids[-1]}
# A second API on the same databases and issuer that verifies every request's token
# (ACCESS_TOKEN_CACHE_ENTRIES=0): the difference is what token verification costs a request.
uncached_port=$(free_port)
ACCESS_TOKEN_CACHE_ENTRIES=0 API_PORT=$uncached_port "$bin/api/gpt-adapter-api" \
  >"$work/api-uncached.log" 2>&1 &
started_pids+=($!)
uncached_pid=$!
wait_for "the second API" curl -fso /dev/null "http://127.0.0.1:$uncached_port/health/ready"

token=$(client_credentials_token)
for port in "$cached_port" "$uncached_port"; do
  for credential in "$token" "$api_key"; do
    expect_api_status 200 "GET /api/v1/me" -H "Authorization: Bearer $credential" \
      "http://127.0.0.1:$port/api/v1/me"
  done
done

# cpu_ticks PID: the user and system CPU time PID has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run_wrk PORT PID TARGET [CREDENTIAL]: wrk's output for one target after a short warm-up, then
# a line with the API's CPU time per request.
run_wrk() {
  local port=$1 pid=$2 target=$3 credential=${4:-} header=() before output
  if [ -n "$credential" ]; then
    header=(-H "Authorization: Bearer $credential")
  fi
  wrk -t 2 -c 64 -d 2s "${header[@]}" "http://127.0.0.1:$port$target" >/dev/null
  before=$(cpu_ticks "$pid")
  output=$(wrk -t 2 -c 64 -d "${duration}s" --latency "${header[@]}" "http://127.0.0.1:$port$target")
  echo "$output"
  awk -v ticks=$(($(cpu_ticks "$pid") - before)) -v hz="$(getconf CLK_TCK)" \
    '/ requests in / { printf "API CPU per request: %.1f us\n", 1e6 * ticks / hz / $1 }' <<<"$output"
}
summary() { grep -E "Requests/sec|Latency |99%|Non-2xx|Socket errors|API CPU"; }
rps() { awk '/Requests\/sec/ { print $2 }'; }
cpu() { awk '/API CPU per request/ { print $5 }'; }

health=$(run_wrk "$cached_port" "$cached_pid" /health)
me_jwt=$(run_wrk "$cached_port" "$cached_pid" /api/v1/me "$token")
me_jwt_uncached=$(run_wrk "$uncached_port" "$uncached_pid" /api/v1/me "$token")
me_key=$(run_wrk "$cached_port" "$cached_pid" /api/v1/me "$api_key")

echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c64 -d${duration}s; API WORKERS default"
echo "GET /health:"
summary <<<"$health"
echo "GET /api/v1/me, Bearer JWT (HS256), verified once then cached (default):"
summary <<<"$me_jwt"
echo "GET /api/v1/me, Bearer JWT (HS256), verified on every request (ACCESS_TOKEN_CACHE_ENTRIES=0):"
summary <<<"$me_jwt_uncached"
echo "GET /api/v1/me, Bearer API key:"
summary <<<"$me_key"
awk -v cached="$(cpu <<<"$me_jwt")" -v uncached="$(cpu <<<"$me_jwt_uncached")" \
  -v h="$(rps <<<"$health")" -v j="$(rps <<<"$me_jwt")" -v k="$(rps <<<"$me_key")" 'BEGIN {
  printf "JWT verification: %.1f us of API CPU per request when not cached (%.1f%% of such a request)\n",
    uncached - cached, 100 * (uncached - cached) / uncached
  printf "per-request cost over /health: JWT %.1f us, API key %.1f us (wall clock at saturation)\n",
    (1e6 / j - 1e6 / h), (1e6 / k - 1e6 / h)
}'
echo "A cached token's lookup costs what bench/token-verify.sh prints as 'verified_token_cache hit'."
