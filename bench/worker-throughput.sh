#!/usr/bin/env bash
# Measures the job pipeline end to end on its success path: jobs/s from enqueue (queue::enqueue,
# as the API does) to a final job record and a written history row, with a fresh dev Memory Bank
# at zero latency for each run (its cost grows with what it holds), and the CPU it costs: worker CPU ms per job and Redis CPU ms per job (enqueue
# included), for one worker with 1 and 2 I/O threads (WORKERS) and for two single-threaded
# workers; plus the queue-to-done latency p50/p99 (record created_at -> completed_at). The jobs
# belong to an application created first, so every history row is stored; the run fails when a
# job does not succeed, anything is dead-lettered, or a worker logs an error. For comparison,
# redis-benchmark's XADD rate on the same Redis. Not part of the test suite.
#   bench/worker-throughput.sh [JOBS] [BUILD_DIR]
# BUILD_DIR (or GPT_ADAPTER_BENCH_BUILD_DIR) names an already configured optimised build to use
# instead of the `release` preset's.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-5000}
if [ -n "${2:-}" ]; then
  GPT_ADAPTER_BENCH_BUILD_DIR=$2
fi

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-worker gpt-adapter-admin memory-bank-dev gpt-adapter-queue-load
start_scratch_databases "$bin"
export WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-64} LOG_FORMAT=json
application_id=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" app create \
  --name bench-jobs --json 2>/dev/null | jq -r .id)
ticks_per_second=$(getconf CLK_TCK)

# cpu_ticks PID: user + system CPU the process used so far, in clock ticks.
cpu_ticks() {
  # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  local stat
  stat=$(cat "/proc/$1/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# redis_cpu_seconds: user + system CPU of the Redis server so far.
redis_cpu_seconds() {
  redis-cli -p "$redis_port" INFO cpu |
    awk -F: '/^used_cpu_(user|sys):/ { total += $2 } END { printf "%.3f", total }'
}

# run_with_workers COUNT THREADS: starts a dev Memory Bank and COUNT workers with THREADS I/O
# threads each on an empty queue, runs the load, stops them; sets figures to the load tool's
# figures and the CPU per job. Everything it starts is in started_pids, stopped on exit.
run_with_workers() {
  local count=$1 threads=$2 pids=() port i load worker_ticks=0 redis_before redis_after bank_pid
  redis-cli -p "$redis_port" FLUSHALL >/dev/null
  start_dev_memory_bank "$bin" --latency-ms 0
  bank_pid=${started_pids[-1]}
  for ((i = 0; i < count; i++)); do
    port=$(free_port)
    WORKERS=$threads WORKER_OPS_PORT=$port "$bin/worker/gpt-adapter-worker" \
      >"$work/worker-$count-$threads-$i.log" 2>&1 &
    pids+=($!)
    started_pids+=($!)
    wait_for "worker $i" curl -fso /dev/null "http://127.0.0.1:$port/health"
  done
  for pid in "${pids[@]}"; do
    worker_ticks=$((worker_ticks - $(cpu_ticks "$pid")))
  done
  redis_before=$(redis_cpu_seconds)
  if ! load=$("$bin/tools/queue-load/gpt-adapter-queue-load" "$REDIS_URL" "$application_id" \
    "$jobs" 64); then
    echo "the load did not finish on the success path: $load" >&2
    tail -n 5 "$work"/worker-"$count"-"$threads"-*.log >&2
    exit 1
  fi
  redis_after=$(redis_cpu_seconds)
  for pid in "${pids[@]}"; do
    worker_ticks=$((worker_ticks + $(cpu_ticks "$pid")))
  done
  for pid in "${pids[@]}" "$bank_pid"; do
    kill -TERM "$pid"
    wait "$pid"
  done
  if grep -h '"level":"error"' "$work"/worker-"$count"-"$threads"-*.log >&2; then
    echo "a worker logged an error (above): the figures are not of the success path" >&2
    exit 1
  fi
  figures=$(awk -v figures="$load" -v ticks="$worker_ticks" -v hz="$ticks_per_second" -v jobs="$jobs" \
    -v before="$redis_before" -v after="$redis_after" 'BEGIN {
      printf "%s worker_cpu_ms_per_job=%.4f redis_cpu_ms_per_job=%.4f\n", figures,
        ticks * 1000 / hz / jobs, (after - before) * 1000 / jobs
    }')
}

echo "machine: $(nproc) cores, $(uname -m); $jobs create jobs; WORKER_CONCURRENCY=$WORKER_CONCURRENCY"
run_with_workers 1 1
echo "1 worker, 1 I/O thread:   $figures"
run_with_workers 1 2
echo "1 worker, 2 I/O threads:  $figures"
run_with_workers 2 1
echo "2 workers, 1 I/O thread:  $figures"
redis-cli -p "$redis_port" FLUSHALL >/dev/null
echo "redis-benchmark XADD (50 clients, no pipelining):"
redis-benchmark -p "$redis_port" -q -c 50 -n 200000 XADD bench:stream '*' field value | tr '\r' '\n' | tail -n 1
