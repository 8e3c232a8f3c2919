#!/usr/bin/env bash
# The run command: installs what is missing, builds a release, starts a throwaway PostgreSQL
# and Redis (state under .local/stack, git-ignored), applies migrations, starts the API and the
# worker, registers a demo application and prints how to call it. Ctrl-C stops everything.
# With --https the API serves TLS with a self-signed certificate made for 127.0.0.1/localhost.
# The Memory Bank is tools/memory-bank-dev speaking the mem0 open-source server's contract, or
# with --platform the mem0 Platform's (adds processed in the background, v3 filters, Token auth).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

https=false
dialect=mem0-oss
for argument in "$@"; do
  case "$argument" in
    --https) https=true ;;
    --platform) dialect=mem0-platform ;;
    *)
      echo "usage: scripts/run-local.sh [--https] [--platform]" >&2
      exit 2
      ;;
  esac
done

bash scripts/install-deps.sh
cmake --preset release >/dev/null
# Only what runs here: the tests are built by the second README command.
cmake --build --preset release --parallel "$(nproc)" \
  --target gpt-adapter-api gpt-adapter-worker gpt-adapter-admin memory-bank-dev
bin="$root/build/release"

state="$root/.local/stack"
mkdir -p "$state/logs"
# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh

cleanup() {
  trap - INT TERM EXIT
  echo
  echo "run-local: stopping"
  stop_started
  echo "run-local: stopped (state kept in $state; delete it for a fresh start)"
}
trap cleanup INT TERM EXIT

pg_port=$(free_port 55432)
start_postgres "$state/postgres" "$pg_port" "$state/logs/postgres.log"
app_db_password=$(cat "$state/app-db-password")
redis_port=$(free_port 56379)
start_redis "$state/redis" "$redis_port" "$state/logs/redis.log"

owner_url="postgresql://postgres@127.0.0.1:$pg_port/gpt_adapter"
export DATABASE_URL="postgresql://gpt_adapter_app:$app_db_password@127.0.0.1:$pg_port/gpt_adapter"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" migrate up
psql_owner "$pg_port" gpt_adapter -c "GRANT gpt_adapter_runtime TO gpt_adapter_app"

if [ ! -f "$state/jwt-secret" ]; then
  openssl rand -hex 32 >"$state/jwt-secret"
fi
export JWT_SECRET_KEY
JWT_SECRET_KEY=$(cat "$state/jwt-secret")
export LOG_FORMAT=${LOG_FORMAT:-text}
export API_HOST=127.0.0.1 WORKER_OPS_HOST=127.0.0.1 GPT_ADAPTER_ENV_FILE=/dev/null
export API_PORT
API_PORT=$(free_port 8000)
export WORKER_OPS_PORT
WORKER_OPS_PORT=$(free_port 9100)

scheme=http
curl_tls=()
if $https; then
  # Kept across runs, so a browser or curl that trusted it once keeps trusting it.
  tls="$state/tls"
  if [ ! -f "$tls/cert.pem" ]; then
    mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
    chmod 600 "$tls/key.pem"
  fi
  export TLS_CERT_FILE="$tls/cert.pem" TLS_KEY_FILE="$tls/key.pem"
  scheme=https
  curl_tls=(--cacert "$tls/cert.pem")
fi
export PUBLIC_BASE_URL="$scheme://127.0.0.1:$API_PORT"

# The Memory Bank: the dev server in the chosen dialect, with an API key as the real services
# require, memories kept in the local state folder.
if [ ! -f "$state/memory-bank-key" ]; then
  openssl rand -hex 24 >"$state/memory-bank-key"
fi
export MEMORY_BANK_API_KEY
MEMORY_BANK_API_KEY=$(cat "$state/memory-bank-key")
memory_bank_port=$(free_port 8765)
"$bin/tools/memory-bank-dev/memory-bank-dev" --dialect "$dialect" --host 127.0.0.1 \
  --port "$memory_bank_port" --api-key "$MEMORY_BANK_API_KEY" \
  --data-file "$state/memory-bank-$dialect.jsonl" >"$state/logs/memory-bank.log" 2>&1 &
started_pids+=($!)
export MEMORY_BANK_API_URL="http://127.0.0.1:$memory_bank_port" MEMORY_BANK_DIALECT=$dialect
wait_for "the dev Memory Bank" curl -fsS "$MEMORY_BANK_API_URL/health"

"$bin/api/gpt-adapter-api" >"$state/logs/api.log" 2>&1 &
started_pids+=($!)
"$bin/worker/gpt-adapter-worker" >"$state/logs/worker.log" 2>&1 &
started_pids+=($!)
wait_for "the API" curl -fsS "${curl_tls[@]}" "$PUBLIC_BASE_URL/health"
wait_for "the worker" curl -fsS "http://127.0.0.1:$WORKER_OPS_PORT/health"

# The demo application: created once, its one-time secret kept in the local state folder.
if [ ! -f "$state/demo-app.env" ] ||
  ! DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" app show "$(sed -n 's/^CLIENT_ID=//p' "$state/demo-app.env")" >/dev/null 2>&1; then
  created=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" app create --name "Demo GPT" \
    --scopes memories:read,memories:write --rate-limit 100 \
    --redirect-uri 'https://chatgpt.com/aip/*/oauth/callback' \
    --redirect-uri 'https://chat.openai.com/aip/*/oauth/callback' --json)
  {
    echo "CLIENT_ID=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' <<<"$created")"
    echo "CLIENT_SECRET=$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' <<<"$created")"
  } >"$state/demo-app.env"
  chmod 600 "$state/demo-app.env"
fi
# shellcheck disable=SC1091
. "$state/demo-app.env"

base=$PUBLIC_BASE_URL
curl="curl -s"
if $https; then
  curl="curl -s --cacert $TLS_CERT_FILE"
fi
cat <<MSG

  Custom GPT Adapter is running.

  API         $base          (logs: $state/logs/api.log)
  Worker ops  http://127.0.0.1:$WORKER_OPS_PORT   (logs: $state/logs/worker.log)
  Memory Bank $MEMORY_BANK_API_URL   ($dialect dev server; faults: POST /_dev/faults, counts: GET /_dev/stats)
  PostgreSQL  $owner_url
  Redis       $REDIS_URL

  Demo application
    client_id      $CLIENT_ID
    client_secret  $CLIENT_SECRET

  Try it: a token for the demo application, then store a memory and find it again.
    TOKEN=\$($curl -u '$CLIENT_ID:$CLIENT_SECRET' -d grant_type=client_credentials \\
      $base/oauth/token | sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')
    $curl -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
      -d '{"content":"The user prefers green tea."}' $base/api/v1/memories
    $curl -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
      -d '{"query":"which tea does the user like"}' $base/api/v1/search

  For the GPT editor: import $base/openapi.json (readable at $base/docs);
  OAuth authorization URL $base/oauth/authorize, token URL $base/oauth/token
  (end users: $bin/tools/gpt-adapter-admin user create --username NAME, with DATABASE_URL=$owner_url).
  Health and metrics: $base/health/ready, $base/metrics

  Press Ctrl-C to stop everything.
MSG

wait -n "${started_pids[@]}" || true
echo "run-local: a process exited; see $state/logs" >&2
