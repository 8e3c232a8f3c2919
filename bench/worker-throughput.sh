#!/usr/bin/env bash
# Measures the job pipeline end to end: jobs/s from enqueue (queue::enqueue, as the API does) to
# a final job record, with the dev Memory Bank at zero latency, for 1 and 2 worker processes,
# and the queue-to-done latency p50/p99 (record created_at -> completed_at). For comparison,
# redis-benchmark's XADD rate on the same Redis. Not part of the test suite.
#   bench/worker-throughput.sh [JOBS] [BUILD_DIR]
# BUILD_DIR defaults to build/release (configured with the release preset if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${1:-20000}
bin=${2:-"$root/build/release"}

if [[ ! -f "$bin/build.ninja" ]]; then
  cmake --preset release >/dev/null
fi
cmake --build "$bin" --target gpt-adapter-worker gpt-adapter-admin memory-bank-dev \
  gpt-adapter-queue-load >/dev/null

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
start_scratch_databases "$bin"
app_db_password=$(cat "$work/app-db-password")
export DATABASE_URL="postgresql://gpt_adapter_app:$app_db_password@127.0.0.1:$pg_port/gpt_adapter"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
export LOG_LEVEL=warn GPT_ADAPTER_ENV_FILE=/dev/null WORKER_OPS_HOST=127.0.0.1
export WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-64}

bank_port=$(free_port)
"$bin/tools/memory-bank-dev/memory-bank-dev" --host 127.0.0.1 --port "$bank_port" \
  --latency-ms 0 >"$work/memory-bank.log" 2>&1 &
started_pids+=($!)
wait_for "the dev Memory Bank" curl -fso /dev/null "http://127.0.0.1:$bank_port/_dev/stats"
export MEMORY_BANK_URL="http://127.0.0.1:$bank_port" MEMORY_BANK_DIALECT=mem0-oss

# run_with_workers COUNT: starts COUNT workers on an empty queue, runs the load, stops them.
run_with_workers() {
  local count=$1 pids=() port i
  redis-cli -p "$redis_port" FLUSHALL >/dev/null
  for ((i = 0; i < count; i++)); do
    port=$(free_port)
    WORKER_OPS_PORT=$port "$bin/worker/gpt-adapter-worker" >"$work/worker-$count-$i.log" 2>&1 &
    pids+=($!)
    wait_for "worker $i" curl -fso /dev/null "http://127.0.0.1:$port/health"
  done
  "$bin/tools/queue-load/gpt-adapter-queue-load" "$REDIS_URL" "$jobs" 64
  for pid in "${pids[@]}"; do
    kill -TERM "$pid"
    wait "$pid"
  done
}

echo "machine: $(nproc) cores, $(uname -m); $jobs create jobs; WORKER_CONCURRENCY=$WORKER_CONCURRENCY"
echo "1 worker:  $(run_with_workers 1)"
echo "2 workers: $(run_with_workers 2)"
redis-cli -p "$redis_port" FLUSHALL >/dev/null
echo "redis-benchmark XADD (50 clients, no pipelining):"
redis-benchmark -p "$redis_port" -q -c 50 -n 200000 XADD bench:stream '*' field value | tr '\r' '\n' | tail -n 1
