#!/usr/bin/env bash
# Prints requests/s and latency percentiles of an authenticated GET /api/v1/me (bearer JWT from
# the token endpoint's client-credentials grant, and an API key) next to GET /health, with wrk at
# 64 connections, on a release build against private PostgreSQL and Redis. /api/v1/me pays for
# bearer authentication (JWT verification, cached application lookup) and one Redis script that
# checks the revocation deny-list and the GCRA rate limit; the comparison with /health shows
# their cost.
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

token=$(client_credentials_token)
for credential in "$token" "$api_key"; do
  expect_api_status 200 "GET /api/v1/me" -H "Authorization: Bearer $credential" \
    "http://127.0.0.1:$api_port/api/v1/me"
done

# run_wrk TARGET [CREDENTIAL]: wrk's summary lines for one target after a short warm-up.
run_wrk() {
  local target=$1 credential=${2:-} header=()
  if [ -n "$credential" ]; then
    header=(-H "Authorization: Bearer $credential")
  fi
  wrk -t 2 -c 64 -d 2s "${header[@]}" "http://127.0.0.1:$api_port$target" >/dev/null
  wrk -t 2 -c 64 -d "${duration}s" --latency "${header[@]}" "http://127.0.0.1:$api_port$target"
}
summary() { grep -E "Requests/sec|Latency |99%|Non-2xx|Socket errors"; }
rps() { awk '/Requests\/sec/ { print $2 }'; }

health=$(run_wrk /health)
me_jwt=$(run_wrk /api/v1/me "$token")
me_key=$(run_wrk /api/v1/me "$api_key")

echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c64 -d${duration}s; API WORKERS default"
echo "GET /health:"
summary <<<"$health"
echo "GET /api/v1/me, Bearer JWT (HS256):"
summary <<<"$me_jwt"
echo "GET /api/v1/me, Bearer API key:"
summary <<<"$me_key"
awk -v h="$(rps <<<"$health")" -v j="$(rps <<<"$me_jwt")" -v k="$(rps <<<"$me_key")" 'BEGIN {
  printf "per-request cost over /health: JWT %.1f us (%.1f%% of a /me request), API key %.1f us\n",
    (1e6 / j - 1e6 / h), 100 * (1 - j / h), (1e6 / k - 1e6 / h)
}'
