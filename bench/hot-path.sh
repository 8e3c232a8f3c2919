#!/usr/bin/env bash
# The hot path's cost, in one run on this machine, next to a ceiling and a peer that share the
# run (and its noise): nginx answering a static 202, the seeds' Python stack doing the create
# path (bench/seeds_peer.py: FastAPI on uvicorn with uvloop and httptools, PyJWT, a Redis
# rate-limit counter, XADD), and this API's GET /health, GET /api/v1/me (bearer JWT), POST
# /api/v1/memories (create, answered 202; no worker runs, so the jobs stay queued) with one I/O
# thread and with WORKERS threads, and the synchronous POST /api/v1/search round trip (API ->
# jobs stream -> worker -> dev Memory Bank at zero latency -> API). For each: requests/s, p50,
# p99, and the CPU time per request of the API, Redis (and for the search, the worker and the
# dev Memory Bank), read from /proc; then the ratios. Fails when anything it drives logs an
# error or answers anything but the expected status. Not part of the test suite.
#   bench/hot-path.sh [DURATION_SECONDS] [CONNECTIONS]
# WORKERS (default: the machine's cores) is the multi-threaded API's thread count;
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured optimised build to use instead of the
# `release` preset's. Installs its Debian packages with scripts/install-bench-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-8}
connections=${2:-64}
threads=${WORKERS:-$(nproc)}
python=/usr/bin/python3 # Debian's interpreter, where the python3-* packages are

scripts/install-bench-deps.sh
# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-api gpt-adapter-admin gpt-adapter-worker memory-bank-dev
start_scratch_databases "$bin"
redis_pid=${started_pids[-1]}
create_bench_application "$bin"
hz=$(getconf CLK_TCK)

start_api "$bin"
# Every API signs and checks with the same key and issuer (start_api set JWT_ISSUER).
token=$(client_credentials_token)
# start_api_with THREADS: an API with THREADS I/O threads, logging to api-tTHREADS.log; sets
# started_port and started_pid.
start_api_with() {
  started_port=$(free_port)
  WORKERS=$1 API_PORT=$started_port "$bin/api/gpt-adapter-api" >"$work/api-t$1.log" 2>&1 &
  started_pids+=($!)
  started_pid=$!
  wait_for "the API with $1 threads" curl -fso /dev/null "http://127.0.0.1:$started_port/health/ready"
}
# The one start_api started only served the token; the measured ones have a fixed thread count.
start_api_with 1
port_1=$started_port pid_1=$started_pid
start_api_with "$threads"
port_n=$started_port pid_n=$started_pid

# nginx's static 202 on its default worker count (one per core), logging errors only.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port reuseport;
    location / { return 202 '{"status":"queued"}'; }
  }
}
EOF
nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
started_pids+=($!)
nginx_pid=$!
wait_for nginx curl -so /dev/null "http://127.0.0.1:$nginx_port/"

# The seeds' stack: one uvicorn process, as the seeds run it, on the same Redis.
peer_port=$(free_port)
audience=$(cut -d. -f2 <<<"$token" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .aud || true)
(cd bench && JWT_AUDIENCE=$audience exec "$python" -m uvicorn seeds_peer:app --host 127.0.0.1 \
  --port "$peer_port" --loop uvloop --http httptools --no-access-log --log-level warning) \
  >"$work/peer.log" 2>&1 &
started_pids+=($!)
peer_pid=$!
wait_for "the Python peer" curl -fso /dev/null "http://127.0.0.1:$peer_port/health"

create_body='{"content":"prefers green tea in the morning","categories":["preferences"]}'
search_body='{"query":"green tea","limit":10}'
wrk_script() {
  local file
  file=$(mktemp "$work/wrk-XXXXXX.lua")
  if [ -n "${1:-}" ]; then
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
      "$(jq -Rn --arg body "$1" '$body')" >"$file"
  fi
  echo "$file"
}
get_script=$(wrk_script)
create_script=$(wrk_script "$create_body")
search_script=$(wrk_script "$search_body")
for target in "$port_1" "$port_n" "$peer_port"; do
  expect_api_status 202 "POST /api/v1/memories on port $target" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" -d "$create_body" "http://127.0.0.1:$target/api/v1/memories"
done
expect_api_status 200 "GET /api/v1/me" -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port_1/api/v1/me"

# User and system time (fields 14 and 15 of stat), counted after the command name, which may
# hold spaces (Redis retitles itself "redis-server 127.0.0.1:PORT").
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# The CPU of a process and all its threads and children (nginx's workers).
tree_ticks() {
  local total=0 pid
  for pid in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(cpu_ticks "$pid")))
  done
  echo "$total"
}
results=()
# measure NAME URL SCRIPT PID_OF_SERVER [EXTRA_PIDS...]: a warm-up, then a measured wrk run;
# appends "NAME req/s p50 p99 server-us redis-us extra-us..." to results.
measure() {
  local name=$1 url=$2 script=$3 server=$4 load pid
  shift 4
  load=$(cut -d' ' -f1 /proc/loadavg)
  wrk -t 2 -c "$connections" -d 2s -s "$script" -H "Authorization: Bearer $token" "$url" >/dev/null
  local pids=("$server" "$redis_pid" "$@") before=() after=() output
  for pid in "${pids[@]}"; do before+=("$(tree_ticks "$pid")"); done
  output=$(wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$script" \
    -H "Authorization: Bearer $token" "$url")
  for pid in "${pids[@]}"; do after+=("$(tree_ticks "$pid")"); done
  if grep -qE "Non-2xx|Socket errors" <<<"$output"; then
    echo "$name: wrk saw failures:" >&2
    echo "$output" >&2
    exit 1
  fi
  local requests rps p50 p99 line i
  requests=$(awk '/ requests in / { print $1 }' <<<"$output")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$output")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$output")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$output")
  line="$name $rps $p50 $p99"
  for i in "${!pids[@]}"; do
    line+=" $(awk -v t=$((after[i] - before[i])) -v hz="$hz" -v n="$requests" \
      'BEGIN { printf "%.1f", 1e6 * t / hz / n }')"
  done
  results+=("$line load=$load")
}

measure nginx-202 "http://127.0.0.1:$nginx_port/" "$get_script" "$nginx_pid"
measure python-create "http://127.0.0.1:$peer_port/api/v1/memories" "$create_script" "$peer_pid"
for variant in "1 $port_1 $pid_1" "$threads $port_n $pid_n"; do
  read -r n port pid <<<"$variant"
  measure "health/t$n" "http://127.0.0.1:$port/health" "$get_script" "$pid"
  measure "me/t$n" "http://127.0.0.1:$port/api/v1/me" "$get_script" "$pid"
  measure "create/t$n" "http://127.0.0.1:$port/api/v1/memories" "$create_script" "$pid"
done

# The search round trip: the queued creates are dropped first, or the worker would spend the
# measurement on them.
redis-cli -p "$redis_port" DEL '{gpt-adapter}:jobs' >/dev/null
redis-cli -p "$redis_port" XGROUP CREATE '{gpt-adapter}:jobs' workers 0 MKSTREAM >/dev/null
start_dev_memory_bank "$bin"
bank_pid=${started_pids[-1]}
WORKER_OPS_PORT=$(free_port) "$bin/worker/gpt-adapter-worker" >"$work/worker.log" 2>&1 &
started_pids+=($!)
worker_pid=$!
search_answers_200() {
  [ "$(curl -so /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" -d "$search_body" \
    "http://127.0.0.1:$port_n/api/v1/search")" = 200 ]
}
wait_for "a search answered 200" search_answers_200
measure "search/t$threads" "http://127.0.0.1:$port_n/api/v1/search" "$search_script" "$pid_n" \
  "$worker_pid" "$bank_pid"

# Anything that logged an error makes the figures suspect: fail, showing it.
failed=0
for log in api.log api-t1.log "api-t$threads.log" worker.log memory-bank.log; do
  if grep -E '"level":"(error|critical)"' "$work/$log" >&2; then
    echo "$log has errors" >&2
    failed=1
  fi
done
if grep -E 'Traceback|ERROR' "$work/peer.log" >&2; then
  echo "the Python peer logged errors" >&2
  failed=1
fi
if grep -E '\[(error|crit|alert|emerg)\]' "$work/nginx/error.log" >&2; then
  echo "nginx logged errors" >&2
  failed=1
fi
[ "$failed" -eq 0 ] || exit 1

echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c$connections -d${duration}s on the same" \
  "machine; API build: $bin; multi-threaded API: WORKERS=$threads"
printf '%-14s %10s %9s %9s %10s %10s  %s\n' target req/s p50 p99 "server-us" "redis-us" \
  "[worker-us bank-us] load"
for line in "${results[@]}"; do
  read -r -a fields <<<"$line"
  printf '%-14s %10s %9s %9s %10s %10s  %s\n' "${fields[@]:0:6}" "${fields[*]:6}"
done
rps_of() { printf '%s\n' "${results[@]}" | awk -v n="$1" '$1 == n { print $2 }'; }
ratio() { awk -v a="$(rps_of "$1")" -v b="$(rps_of "$2")" 'BEGIN { printf "%.2f", a / b }'; }
echo "create/t$threads vs nginx-202:     $(ratio "create/t$threads" nginx-202)x"
echo "create/t$threads vs python-create: $(ratio "create/t$threads" python-create)x"
echo "create/t1 vs python-create:  $(ratio create/t1 python-create)x"
echo "server-us is the CPU per request of nginx (all workers), the Python peer or the API;" \
  "redis-us Redis's."
