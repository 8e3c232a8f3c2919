#!/usr/bin/env bash
# Opens COUNT idle TCP connections to the API (each sends half a request line and then nothing)
# and prints: the API's resident memory before, with them open, and after the server closed
# them; how long /health takes while they are open; how long until every one was closed by the
# server (HTTP_READ_TIMEOUT_MS); and whether the API still serves afterwards. Bounded memory and
# no stuck thread is the claim. Not part of the test suite (the suite opens 500).
#   bench/idle-connections.sh [COUNT] [READ_TIMEOUT_MS]
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured build to use instead of the `release`
# preset's (a sanitizer build works; its memory figures are larger).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
read_timeout_ms=${2:-10000}
if [ "$(ulimit -n)" -lt $((count + 100)) ]; then
  ulimit -n $((count + 100)) 2>/dev/null || {
    echo "the open-file limit ($(ulimit -n)) is below $count connections" >&2
    exit 2
  }
fi

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
build_for_bench gpt-adapter-api gpt-adapter-admin
start_scratch_databases "$bin"
export HTTP_READ_TIMEOUT_MS=$read_timeout_ms
start_api "$bin"
api_pid=${started_pids[-1]}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$api_pid/status"; }
health_ms() {
  curl -fso /dev/null -w '%{time_total}' "http://127.0.0.1:$api_port/health" |
    awk '{printf "%.1f", $1 * 1000}'
}
established() {
  ss -Htn state established "( sport = :$api_port )" | wc -l
}

before=$(rss_kib)
# The idle clients: one Python process holding every socket, so this shell stays free to measure.
python3 - "$api_port" "$count" "$work/idle.ready" "$work/idle.done" <<'EOF' &
import socket, sys, time, select
port, count, ready, done = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
sockets = {}
poller = select.poll()
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /health HT")
    sockets[s.fileno()] = s
    poller.register(s, select.POLLIN)
open(ready, "w").close()
# Wait (bounded) until the server has closed every one: a read returns b"".
deadline = time.time() + 600
while sockets and time.time() < deadline:
    for fd, _ in poller.poll(1000):
        s = sockets.pop(fd, None)
        if s is None:
            continue
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            sockets[fd] = s
            continue
        poller.unregister(fd)
        s.close()
with open(done, "w") as f:
    f.write(str(len(sockets)))
EOF
started_pids+=($!)
opened_at=$(date +%s%N)
wait_for "$count idle connections" test -f "$work/idle.ready"
with_open=$(rss_kib)
connected=$(established)
health_during=$(health_ms)
wait_for "the server to close them" test -f "$work/idle.done"
closed_after_ms=$((($(date +%s%N) - opened_at) / 1000000))
left_open=$(cat "$work/idle.done")
health_after=$(health_ms)
after=$(rss_kib)

echo "build: $bin; HTTP_READ_TIMEOUT_MS=$read_timeout_ms"
echo "idle connections opened:        $count (established at the API: $connected)"
echo "API RSS before / open / after:  $before / $with_open / $after KiB"
echo "/health while they were open:   ${health_during} ms"
echo "all closed by the server after: ${closed_after_ms} ms (left open: $left_open)"
echo "/health afterwards:             ${health_after} ms"
