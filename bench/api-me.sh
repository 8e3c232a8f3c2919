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
root=$(pwd)
duration=${1:-10}

bin=${GPT_ADAPTER_BENCH_BUILD_DIR:-$root/build/release}
if [ -z "${GPT_ADAPTER_BENCH_BUILD_DIR:-}" ]; then
  cmake --preset release >/dev/null
fi
cmake --build "$bin" --parallel "$(nproc)" --target gpt-adapter-api gpt-adapter-admin >/dev/null

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
start_scratch_databases "$bin"

app_json=$(DATABASE_URL=$owner_url REDIS_URL="redis://127.0.0.1:$redis_port/0" \
  "$bin/tools/gpt-adapter-admin" app create --name bench --json 2>/dev/null)
client_id=$(jq -r .client_id <<<"$app_json")
client_secret=$(jq -r .client_secret <<<"$app_json")
# The benchmark measures the cost of checking the limit, not of refusing: lift it far above what
# wrk can send (the admin CLI caps it at 100000/min, a production-sized value).
psql_owner "$pg_port" gpt_adapter -c \
  "UPDATE custom_gpt_applications SET rate_limit_per_minute = 1000000000" >/dev/null
api_key=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" key create --app "$client_id" \
  --json 2>/dev/null | jq -r .api_key)

app_db_password=$(cat "$work/app-db-password")
export DATABASE_URL="postgresql://gpt_adapter_app:$app_db_password@127.0.0.1:$pg_port/gpt_adapter"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
JWT_SECRET_KEY=$(openssl rand -hex 32)
export JWT_SECRET_KEY
export LOG_LEVEL=warn GPT_ADAPTER_ENV_FILE=/dev/null API_HOST=127.0.0.1

api_port=$(free_port)
export JWT_ISSUER="http://127.0.0.1:$api_port"
API_PORT=$api_port "$bin/api/gpt-adapter-api" >"$work/api.log" 2>&1 &
started_pids+=($!)
wait_for "the API" curl -fso /dev/null "http://127.0.0.1:$api_port/health/ready"

token=$(curl -fsS -u "$client_id:$client_secret" -d grant_type=client_credentials \
  "http://127.0.0.1:$api_port/oauth/token" | jq -r .access_token)
for credential in "$token" "$api_key"; do
  status=$(curl -so /dev/null -w '%{http_code}' -H "Authorization: Bearer $credential" \
    "http://127.0.0.1:$api_port/api/v1/me")
  if [ "$status" != 200 ]; then
    echo "GET /api/v1/me answered $status; log:" >&2
    cat "$work/api.log" >&2
    exit 1
  fi
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
