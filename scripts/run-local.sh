#!/usr/bin/env bash
# The run command: installs what is missing, builds a release, starts a throwaway PostgreSQL
# and Redis (state under .local/stack, git-ignored), applies migrations, starts the API and the
# worker, registers a demo application and prints how to call it. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --parallel "$(nproc)"
bin="$root/build/release"

state="$root/.local/stack"
mkdir -p "$state/logs"
pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1)

as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: the throwaway cluster belongs to the postgres user.
  as_postgres=(runuser -u postgres --)
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port
  for port in "$@" $(shuf -i 20000-60000 -n 50); do
    if ! port_in_use "$port"; then
      echo "$port"
      return
    fi
  done
  echo "run-local: no free port found" >&2
  exit 1
}

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "run-local: stopping"
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  echo "run-local: stopped (state kept in $state; delete it for a fresh start)"
}
trap cleanup INT TERM EXIT

wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "run-local: $what did not come up; see $state/logs" >&2
  exit 1
}

# PostgreSQL: initialised once, started on a free loopback port every run.
if [ ! -f "$state/postgres/PG_VERSION" ]; then
  mkdir -p "$state/postgres"
  [ ${#as_postgres[@]} -eq 0 ] || chown postgres: "$state/postgres"
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$state/postgres" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 >"$state/logs/initdb.log"
fi
pg_port=$(free_port 55432)
"${as_postgres[@]}" "$pg_bin/postgres" -D "$state/postgres" -p "$pg_port" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories= >"$state/logs/postgres.log" 2>&1 &
pids+=($!)
wait_for PostgreSQL "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"

psql_owner() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
if ! psql_owner -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'gpt_adapter'" | grep -q 1; then
  psql_owner -d postgres -c "CREATE DATABASE gpt_adapter"
fi
if [ ! -f "$state/app-db-password" ]; then
  openssl rand -hex 16 >"$state/app-db-password"
fi
app_db_password=$(cat "$state/app-db-password")
psql_owner -d gpt_adapter -v password="$app_db_password" <<'SQL'
SELECT format('CREATE ROLE gpt_adapter_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gpt_adapter_app') \gexec
SQL

# Redis: the queue's settings in production too: AOF on, never evict.
redis_port=$(free_port 56379)
mkdir -p "$state/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$state/redis" --appendonly yes \
  --maxmemory-policy noeviction --save "" --daemonize no >"$state/logs/redis.log" 2>&1 &
pids+=($!)
wait_for Redis redis-cli -p "$redis_port" ping

owner_url="postgresql://postgres@127.0.0.1:$pg_port/gpt_adapter"
export DATABASE_URL="postgresql://gpt_adapter_app:$app_db_password@127.0.0.1:$pg_port/gpt_adapter"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" migrate up
psql_owner -d gpt_adapter -c "GRANT gpt_adapter_runtime TO gpt_adapter_app"

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

"$bin/api/gpt-adapter-api" >"$state/logs/api.log" 2>&1 &
pids+=($!)
"$bin/worker/gpt-adapter-worker" >"$state/logs/worker.log" 2>&1 &
pids+=($!)
wait_for "the API" curl -fsS "http://127.0.0.1:$API_PORT/health"
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

base="http://127.0.0.1:$API_PORT"
cat <<MSG

  Custom GPT Adapter is running.

  API         $base          (logs: $state/logs/api.log)
  Worker ops  http://127.0.0.1:$WORKER_OPS_PORT   (logs: $state/logs/worker.log)
  PostgreSQL  $owner_url
  Redis       $REDIS_URL

  Demo application
    client_id      $CLIENT_ID
    client_secret  $CLIENT_SECRET

  Try it:
    curl -s $base/health
    curl -s $base/health/ready
    curl -s $base/metrics | head -20
    $bin/tools/gpt-adapter-admin app list    # with DATABASE_URL=$owner_url

  Press Ctrl-C to stop everything.
MSG

wait -n "${pids[@]}" || true
echo "run-local: a process exited; see $state/logs" >&2
