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
  local port
  for port in "$@" $(shuf -i 20000-60000 -n 50); do
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

# start_scratch_databases BIN: a private PostgreSQL and Redis on free ports in a temporary folder
# ($work), the schema migrated with BIN's admin tool and the runtime role granted. Everything
# started stops, and the folder goes, when the shell exits. Sets work, pg_port, redis_port and
# owner_url. For the benchmarks.
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
}
