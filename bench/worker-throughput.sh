#!/usr/bin/env bash
# Measures the job pipeline end to end: jobs/s from enqueue (queue::enqueue, as the API does) to
# a final job record, with the dev Memory Bank at zero latency, for 1 and 2 worker processes,
# and the queue-to-done latency p50/p99 (record created_at -> completed_at). For comparison,
# redis-benchmark's XADD rate on the same Redis. Not part of the test suite.
#   bench/worker-throughput.sh [JOBS] [BUILD_DIR]
# BUILD_DIR (or GPT_ADAPTER_BENCH_BUILD_DIR) names an already configured optimised build to use
# instead of the `release` preset's.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20000}
if [ -n "${2:-}" ]; then
  GPT_ADAPTER_BENCH_BUILD_DIR=$2
fi

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-worker gpt-adapter-admin memory-bank-dev gpt-adapter-queue-load
start_scratch_databases "$bin"
export WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-64}
start_dev_memory_bank "$bin" --latency-ms 0

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
