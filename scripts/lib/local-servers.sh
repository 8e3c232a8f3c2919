# shellcheck shell=bash
# Shared by scripts/run-local.sh and bench/*.sh (sourced, not run): throwaway PostgreSQL and
# Redis servers on loopback, and process bookkeeping so everything started is stopped on exit.

pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1)
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: throwaway clusters belong to the postgres user.
  as_postgres=(runuser -u postgres --)
fi
started_pids=()

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the first free port among the arguments, else a random free one.
# shellcheck disable=SC2120
free_port() {
  # Random ports below the kernel's ephemeral range: one inside it may be taken by an outgoing
  # connection between this check and the server's bind.
  local port ephemeral_low=32768
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
  fi
  for port in "$@" $(shuf -i "20000-$((ephemeral_low - 1))" -n 50); do
    if ! port_in_use "$port"; then
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

# wait_for WHAT COMMAND...: retries COMMAND for up to 30 s.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "$what did not come up" >&2
  return 1
}

stop_started() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  started_pids=()
}

# start_postgres DIR PORT LOG: initialises DIR once, starts the server, creates the database
# gpt_adapter and the runtime role gpt_adapter_app with the password in DIR/../app-db-password.
start_postgres() {
  local dir=$1 port=$2 log=$3
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ ${#as_postgres[@]} -eq 0 ] || chown postgres: "$dir"
    "${as_postgres[@]}" "$pg_bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 \
      --locale=C.UTF-8 >/dev/null
  fi
  "${as_postgres[@]}" "$pg_bin/postgres" -D "$dir" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories= >"$log" 2>&1 &
  started_pids+=($!)
  wait_for PostgreSQL "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port"
  local password_file
  password_file="$(dirname "$dir")/app-db-password"
  [ -f "$password_file" ] || openssl rand -hex 16 >"$password_file"
  if ! psql_owner "$port" postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'gpt_adapter'" | grep -q 1; then
    psql_owner "$port" postgres -c "CREATE DATABASE gpt_adapter"
  fi
  psql_owner "$port" gpt_adapter -v password="$(cat "$password_file")" <<'SQL'
SELECT format('CREATE ROLE gpt_adapter_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gpt_adapter_app') \gexec
SQL
}

# psql_owner PORT DATABASE ARGS...: psql as the superuser of a throwaway cluster.
psql_owner() {
  local port=$1 database=$2
  shift 2
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"
}

# start_redis DIR PORT LOG: the queue's production settings: AOF on, never evict.
start_redis() {
  local dir=$1 port=$2 log=$3
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
    --maxmemory-policy noeviction --save "" --daemonize no >"$log" 2>&1 &
  started_pids+=($!)
  wait_for Redis redis-cli -p "$port" ping
}

# The benchmarks' part: an optimised build, scratch databases, and the API and the dev Memory
# Bank started on them with a bench application's credentials.

# build_for_bench TARGETS...: builds TARGETS and sets bin to the build folder: the already
# configured optimised build GPT_ADAPTER_BENCH_BUILD_DIR names, else the `release` preset's.
build_for_bench() {
  bin=${GPT_ADAPTER_BENCH_BUILD_DIR:-$PWD/build/release}
  if [ -z "${GPT_ADAPTER_BENCH_BUILD_DIR:-}" ]; then
    cmake --preset release >/dev/null
  fi
  cmake --build "$bin" --parallel "$(nproc)" --target "$@" >/dev/null
}

# start_scratch_databases BIN: a private PostgreSQL and Redis on free ports in a temporary folder
# ($work), the schema migrated with BIN's admin tool and the runtime role granted. Everything
# started stops, and the folder goes, when the shell exits. Sets work, pg_port, redis_port and
# owner_url, and exports what the services read: DATABASE_URL as the runtime role, REDIS_URL, a
# fresh JWT_SECRET_KEY, warn-level logs, loopback listeners and no .env file.
start_scratch_databases() {
  local bin=$1
  work=$(mktemp -d /tmp/gpt-adapter-bench-XXXXXX)
  chmod 755 "$work"
  trap 'stop_started; rm -rf "$work"' EXIT
  pg_port=$(free_port)
  start_postgres "$work/postgres" "$pg_port" "$work/postgres.log"
  redis_port=$(free_port)
  start_redis "$work/redis" "$redis_port" "$work/redis.log"
  owner_url="postgresql://postgres@127.0.0.1:$pg_port/gpt_adapter"
  DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" migrate up >/dev/null
  psql_owner "$pg_port" gpt_adapter -c "GRANT gpt_adapter_runtime TO gpt_adapter_app" >/dev/null
  local app_db_password
  app_db_password=$(cat "$work/app-db-password")
  export DATABASE_URL="postgresql://gpt_adapter_app:$app_db_password@127.0.0.1:$pg_port/gpt_adapter"
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  JWT_SECRET_KEY=$(openssl rand -hex 32)
  export JWT_SECRET_KEY
  export LOG_LEVEL=warn GPT_ADAPTER_ENV_FILE=/dev/null API_HOST=127.0.0.1 WORKER_OPS_HOST=127.0.0.1
}

# create_bench_application BIN: an application named bench, created with BIN's admin tool, its
# rate limit lifted far above what wrk can send (the admin CLI caps it at 100000/min, a
# production-sized value): the benchmarks measure the cost of checking the limit, not of
# refusing. Sets bench_client_id and bench_client_secret.
create_bench_application() {
  local bin=$1 created
  created=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" app create --name bench \
    --json 2>/dev/null)
  bench_client_id=$(jq -r .client_id <<<"$created")
  bench_client_secret=$(jq -r .client_secret <<<"$created")
  psql_owner "$pg_port" gpt_adapter -c \
    "UPDATE custom_gpt_applications SET rate_limit_per_minute = 1000000000" >/dev/null
}

# start_api BIN: BIN's API on a free port, its log in $work/api.log, once ready. Sets api_port.
start_api() {
  local bin=$1
  api_port=$(free_port)
  export JWT_ISSUER="http://127.0.0.1:$api_port"
  API_PORT=$api_port "$bin/api/gpt-adapter-api" >"$work/api.log" 2>&1 &
  started_pids+=($!)
  wait_for "the API" curl -fso /dev/null "http://127.0.0.1:$api_port/health/ready"
}

# client_credentials_token: prints an access token for the bench application, from the API's
# token endpoint.
client_credentials_token() {
  curl -fsS -u "$bench_client_id:$bench_client_secret" -d grant_type=client_credentials \
    "http://127.0.0.1:$api_port/oauth/token" | jq -r .access_token
}

# expect_api_status STATUS REQUEST CURL_ARGUMENTS...: a request to the API (REQUEST names it in
# the message) that must answer STATUS, else the API's log is printed and the script stops.
expect_api_status() {
  local expected=$1 request=$2 status
  shift 2
  status=$(curl -so /dev/null -w '%{http_code}' "$@")
  if [ "$status" != "$expected" ]; then
    echo "$request answered $status instead of $expected; log:" >&2
    cat "$work/api.log" >&2
    exit 1
  fi
}

# start_dev_memory_bank BIN ARGUMENTS...: BIN's dev Memory Bank (mem0-oss, no key) on a free
# port with ARGUMENTS, its log in $work/memory-bank.log, once it answers; exports
# MEMORY_BANK_API_URL and MEMORY_BANK_DIALECT for the worker.
start_dev_memory_bank() {
  local bin=$1 port
  shift
  port=$(free_port)
  "$bin/tools/memory-bank-dev/memory-bank-dev" --host 127.0.0.1 --port "$port" "$@" \
    >"$work/memory-bank.log" 2>&1 &
  started_pids+=($!)
  export MEMORY_BANK_API_URL="http://127.0.0.1:$port" MEMORY_BANK_DIALECT=mem0-oss
  wait_for "the dev Memory Bank" curl -fso /dev/null "$MEMORY_BANK_API_URL/health"
}
