#!/usr/bin/env bash
# Chaos run (issue 11): a steady load of creates (POST /api/v1/memories) and searches
# (POST /api/v1/search) against two API replicas, two workers and the dev Memory Bank, on private
# PostgreSQL and Redis, all on loopback, while the script, in turn:
#   1. kill -9s a worker and starts a new one (as Kubernetes would);
#   2. kill -9s an API replica and starts it again on the same port;
#   3. restarts Redis (AOF on, appendfsync always; kill -9, then the same port and data dir);
#   4. stops PostgreSQL (fast shutdown) and starts it again;
#   5. makes the Memory Bank fail (503) and 6. answer slowly, through its /_dev/faults endpoint;
#   7. fills one client's rate limit (another application than the load's).
# Then it stops the load, waits for every accepted job to reach a final record, and prints:
# jobs accepted (202), succeeded, dead (with reasons), accepted jobs lost (must be 0), audit
# events expected vs written, the recovery time after each fault (from the end of the fault until
# creates and searches succeed again on every replica), and whether any process that was not
# killed on purpose needed a manual restart (must be none). Exits 1 when a job was lost or a
# process did not recover. Not part of the test suite; bounded in time and traffic.
#   bench/chaos.sh
# Durations in seconds, from the environment (defaults give about 6 minutes in all):
#   CHAOS_PG_DOWN=30 CHAOS_BANK_FAIL=60 CHAOS_BANK_SLOW=60 CHAOS_BANK_SLOW_MS=3000
#   CHAOS_REDIS_DOWN=3 CHAOS_RATE_FILL=10 CHAOS_SETTLE=8 (quiet time after each recovery)
#   CHAOS_RECOVERY_DEADLINE=90 (a fault not recovered from by then counts as "no recovery")
#   CHAOS_DRAIN_DEADLINE=180 (for the accepted jobs to become final at the end)
#   CHAOS_LOOPS=2 (parallel curl loops per kind and replica) CHAOS_PAUSE=0.2 (between requests)
# GPT_ADAPTER_BENCH_BUILD_DIR names an already configured build to use instead of the `release`
# preset's (any build type: this measures robustness, not speed).
set -euo pipefail
cd "$(dirname "$0")/.."
pg_down=${CHAOS_PG_DOWN:-30}
bank_fail=${CHAOS_BANK_FAIL:-60}
bank_slow=${CHAOS_BANK_SLOW:-60}
bank_slow_ms=${CHAOS_BANK_SLOW_MS:-3000}
redis_down=${CHAOS_REDIS_DOWN:-3}
rate_fill=${CHAOS_RATE_FILL:-10}
settle=${CHAOS_SETTLE:-8}
recovery_deadline=${CHAOS_RECOVERY_DEADLINE:-90}
drain_deadline=${CHAOS_DRAIN_DEADLINE:-180}
loops=${CHAOS_LOOPS:-2}
pause=${CHAOS_PAUSE:-0.2}

# shellcheck source=scripts/lib/local-servers.sh
. scripts/lib/local-servers.sh
# CHAOS_NO_BUILD=1 uses the binaries in GPT_ADAPTER_BENCH_BUILD_DIR as they are (no cmake).
if [ "${CHAOS_NO_BUILD:-}" = 1 ] && [ -n "${GPT_ADAPTER_BENCH_BUILD_DIR:-}" ]; then
  bin=$GPT_ADAPTER_BENCH_BUILD_DIR
else
  build_for_bench gpt-adapter-api gpt-adapter-admin gpt-adapter-worker memory-bank-dev
fi
start_scratch_databases "$bin"
# The queue's production durability: every write on disk before Redis answers.
redis-cli -p "$redis_port" CONFIG SET appendfsync always >/dev/null
create_bench_application "$bin"
limited=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" app create --name limited \
  --rate-limit 60 --json 2>/dev/null)
limited_key=$(DATABASE_URL=$owner_url "$bin/tools/gpt-adapter-admin" key create \
  --app "$(jq -r .client_id <<<"$limited")" --json 2>/dev/null | jq -r .api_key)

# Timings scaled to a run of minutes (production: 150 s before a dead worker's jobs are
# reclaimed, 60 s of open circuit): the same mechanisms, sooner.
export WORKER_SOFT_TIME_LIMIT_MS=10000 WORKER_HARD_TIME_LIMIT_MS=15000
export WORKER_VISIBILITY_TIMEOUT_MS=20000 WORKER_CLAIM_INTERVAL_MS=2000
export MEMORY_BANK_ADD_TIMEOUT_MS=12000 MEMORY_BANK_REQUEST_TIMEOUT_MS=8000
export MEMORY_BANK_BREAKER_OPEN_MS=${MEMORY_BANK_BREAKER_OPEN_MS:-10000}
export JOB_RETRY_BASE_DELAY_MS=1000 JOB_RETRY_MAX_DELAY_MS=10000
start_dev_memory_bank "$bin"

# Processes by role: pid and port, so a killed one restarts on the same port.
declare -A pid_of port_of
log_index=0
# launch ROLE: starts (or restarts) ROLE (api-1, api-2, worker-1, worker-2) on its port.
launch() {
  local role=$1
  log_index=$((log_index + 1))
  case $role in
    api-*)
      API_PORT=${port_of[$role]} "$bin/api/gpt-adapter-api" >"$work/$role.$log_index.log" 2>&1 &
      ;;
    worker-*)
      WORKER_CONSUMER_NAME="$role-$log_index" WORKER_OPS_PORT=${port_of[$role]} \
        "$bin/worker/gpt-adapter-worker" >"$work/$role.$log_index.log" 2>&1 &
      ;;
  esac
  pid_of[$role]=$!
  started_pids+=($!)
}
ready() { curl -fso /dev/null --max-time 2 "http://127.0.0.1:${port_of[$1]}/health/ready"; }
port_of[api-1]=$(free_port)
export JWT_ISSUER="http://127.0.0.1:${port_of[api-1]}"
for role in api-1 api-2 worker-1 worker-2; do
  [ -n "${port_of[$role]:-}" ] || port_of[$role]=$(free_port)
  launch "$role"
  wait_for "$role" ready "$role"
done
api_port=${port_of[api-1]}
token=$(client_credentials_token)
replicas=(api-1 api-2)

now_ms() { date +%s%3N; }
create_body='{"content":"prefers green tea in the morning","categories":["preferences"]}'
search_body='{"query":"green tea","limit":5}'
mkdir -p "$work/load"
# load_loop KIND ROLE FILE: one request after another until $work/stop exists, each answer a
# line "ms kind role status request_id" (status 000: no answer) in FILE. Each create carries its
# own X-Request-ID, so a 202 names the job whatever the answer's body.
load_loop() {
  local kind=$1 role=$2 file=$3 body path id status detail answer="$3.body"
  if [ "$kind" = create ]; then
    body=$create_body path=/api/v1/memories
  else
    body=$search_body path=/api/v1/search
  fi
  while [ ! -e "$work/stop" ]; do
    id=$(cat /proc/sys/kernel/random/uuid)
    status=$(curl -s -o "$answer" -w '%{http_code}' --max-time 15 \
      -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
      -H "X-Request-ID: $id" -d "$body" "http://127.0.0.1:${port_of[$role]}$path" || true)
    detail=-
    if [[ $status != 2* ]]; then
      detail=$(jq -r '.detail // .title // "-"' "$answer" 2>/dev/null | tr -s ' \t' '_' | cut -c1-70)
    fi
    echo "$(now_ms) $kind $role $status $id ${detail:--}" >>"$file"
    sleep "$pause"
  done
}
load_pids=()
for role in "${replicas[@]}"; do
  for kind in create search; do
    for ((i = 0; i < loops; i++)); do
      load_loop "$kind" "$role" "$work/load/$kind-$role-$i.txt" &
      load_pids+=($!)
    done
  done
done
answers() { cat "$work"/load/*.txt 2>/dev/null; }
# The logs (not the databases) are kept when the run ends, for the evidence.
logs=/tmp/chaos-logs-$(date +%Y%m%d-%H%M%S)
trap 'stop_started; mkdir -p "$logs"; cp -r "$work"/*.log "$work"/*.txt "$work/load" "$logs" 2>/dev/null; rm -rf "$work"' EXIT

# Each fault: "name start_ms end_ms recovery_ms processes" in $work/faults.txt.
: >"$work/faults.txt"
manual_restarts=()
# recovered_since MS: every replica answered both a create and a search with 2xx after MS.
recovered_since() {
  local since=$1
  answers | awk -v since="$since" '$1 >= since && $4 ~ /^2/ { ok[$2 " " $3] = 1 }
    END { exit !(ok["create api-1"] && ok["search api-1"] && ok["create api-2"] && ok["search api-2"]) }'
}
# first_recovery MS: ms from MS until the last of (kind, replica) had its first 2xx after MS.
first_recovery() {
  answers | awk -v since="$1" '$1 >= since && $4 ~ /^2/ {
      k = $2 " " $3; if (!(k in first) || $1 < first[k]) first[k] = $1 }
    END { for (k in first) if (first[k] > last) last = first[k]; print last - since }'
}
# fault_over NAME START: waits until the load recovered (or the deadline), checks that every
# process still runs and is ready (else it would need a manual restart), records the fault.
fault_over() {
  local name=$1 start=$2 end deadline recovery role alive=ok
  end=$(now_ms)
  deadline=$((end + recovery_deadline * 1000))
  until recovered_since "$end"; do
    if [ "$(now_ms)" -gt "$deadline" ]; then
      break
    fi
    sleep 0.2
  done
  if recovered_since "$end"; then
    recovery="$(first_recovery "$end")"
  else
    recovery=none
  fi
  for role in "${!pid_of[@]}"; do
    if ! kill -0 "${pid_of[$role]}" 2>/dev/null || ! ready "$role"; then
      alive=no
      manual_restarts+=("$name: $role")
    fi
  done
  echo "$name $start $end $recovery $alive" >>"$work/faults.txt"
  echo "$(date +%T) $name: over, recovered in ${recovery} ms, processes ready: $alive" >&2
  sleep "$settle"
}
say() { echo "$(date +%T) $*" >&2; }

wait_for "the load to get going" recovered_since 0
sleep "$settle"

say "kill -9 worker-1, start a new one"
start=$(now_ms)
kill -KILL "${pid_of[worker-1]}"
launch worker-1
wait_for "the new worker-1" ready worker-1
fault_over worker-kill "$start"

say "kill -9 api-2, start it again"
start=$(now_ms)
kill -KILL "${pid_of[api-2]}"
launch api-2
wait_for "the restarted api-2" ready api-2
fault_over api-kill "$start"

say "Redis: kill -9, down ${redis_down}s, start on the same port and data dir"
start=$(now_ms)
redis_pid=$(redis-cli -p "$redis_port" INFO server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')
kill -KILL "$redis_pid"
redis_gone() { ! redis-cli -p "$redis_port" ping; }
wait_for "Redis to go" redis_gone
sleep "$redis_down"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
  --appendfsync always --maxmemory-policy noeviction --save "" --daemonize no \
  >>"$work/redis.log" 2>&1 &
started_pids+=($!)
wait_for Redis redis-cli -p "$redis_port" ping
fault_over redis-restart "$start"

say "PostgreSQL: fast shutdown, down ${pg_down}s, start again"
start=$(now_ms)
pg_pid=$(head -n 1 "$work/postgres/postmaster.pid")
kill -INT "$pg_pid"
pg_gone() { ! "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; }
wait_for "PostgreSQL to stop" pg_gone
sleep "$pg_down"
"${as_postgres[@]}" "$pg_bin/postgres" -D "$work/postgres" -p "$pg_port" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories= >>"$work/postgres.log" 2>&1 &
started_pids+=($!)
wait_for PostgreSQL "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"
fault_over postgres-stop "$start"

faults() { curl -fsS -H "Content-Type: application/json" -d "$1" "$MEMORY_BANK_API_URL/_dev/faults" >/dev/null; }
say "Memory Bank: failing (503) for ${bank_fail}s"
start=$(now_ms)
faults '{"down":true}'
sleep "$bank_fail"
faults '{"down":false}'
fault_over memory-bank-fail "$start"

say "Memory Bank: ${bank_slow_ms} ms per answer for ${bank_slow}s"
start=$(now_ms)
faults "{\"latency_ms\":$bank_slow_ms}"
sleep "$bank_slow"
faults '{"latency_ms":0}'
fault_over memory-bank-slow "$start"

say "rate limit of the application 'limited' (60/min) filled for ${rate_fill}s"
me_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $limited_key" \
    "http://127.0.0.1:${port_of[$1]}/api/v1/me" || true
}
fill_limit() {
  local until_ms=$1 role=$2
  while [ "$(now_ms)" -lt "$until_ms" ]; do
    { me_status "$role"; echo; } >>"$work/limited-$role.txt"
  done
}
start=$(now_ms)
fill_pids=()
for role in "${replicas[@]}"; do
  fill_limit "$((start + rate_fill * 1000))" "$role" &
  fill_pids+=($!)
done
wait "${fill_pids[@]}"
limited_end=$(now_ms)
limited_ok() { [ "$(me_status api-1)" = 200 ]; }
wait_for "the limited application to be served again" limited_ok
limited_recovery=$(($(now_ms) - limited_end))
fault_over rate-limit-fill "$start"
limited_answers=$(cat "$work"/limited-*.txt | sort | uniq -c | awk '{ printf "%s %s, ", $1, $2 }')

say "stopping the load; waiting up to ${drain_deadline}s for every accepted job to be final"
touch "$work/stop"
wait "${load_pids[@]}"
answers | awk '$2 == "create" && $4 == 202 { print $5 }' | sort -u >"$work/accepted.txt"
accepted=$(wc -l <"$work/accepted.txt")
pg() { psql_owner "$pg_port" gpt_adapter -tA "$@"; }
pg -c "CREATE TABLE chaos_accepted (request_id text PRIMARY KEY)"
pg -c "\\copy chaos_accepted FROM '$work/accepted.txt'"
final_count() {
  pg -c "SELECT count(*) FROM chaos_accepted a JOIN custom_gpt_jobs j USING (request_id)
         WHERE j.status IN ('succeeded', 'failed', 'dead')"
}
drained() {
  [ "$(final_count)" -eq "$accepted" ] &&
    [ "$(redis-cli -p "$redis_port" XLEN '{gpt-adapter}:audit')" -eq 0 ] &&
    [ "$(redis-cli -p "$redis_port" XLEN '{gpt-adapter}:jobs:history')" -eq 0 ]
}
drain_deadline_ms=$(($(now_ms) + drain_deadline * 1000))
until drained || [ "$(now_ms)" -gt "$drain_deadline_ms" ]; do
  sleep 1
done

# Accepted jobs with no final row in PostgreSQL: asked of the API (the Redis job record).
lost=0
: >"$work/not-final.txt"
while read -r id; do
  record=$(curl -s --max-time 5 -H "Authorization: Bearer $token" \
    "http://127.0.0.1:${port_of[api-1]}/api/v1/jobs/$id" || true)
  state=$(jq -r '.status // "none"' <<<"$record" 2>/dev/null || echo none)
  echo "$id $state" >>"$work/not-final.txt"
  case $state in
    succeeded | failed | dead) ;;
    *) lost=$((lost + 1)) ;;
  esac
done < <(pg -c "SELECT a.request_id FROM chaos_accepted a LEFT JOIN custom_gpt_jobs j
                USING (request_id) WHERE j.status IS NULL OR j.status NOT IN ('succeeded', 'failed', 'dead')")

by_status=$(pg -F ' ' -c "SELECT j.status, count(*) FROM chaos_accepted a JOIN custom_gpt_jobs j
                          USING (request_id) GROUP BY 1 ORDER BY 1")
count_of() { awk -v s="$1" '$1 == s { n = $2 } END { print n + 0 }' <<<"$by_status"; }
dead_reasons=$(pg -F ' ' -c "SELECT count(*), coalesce(j.error, '?') FROM chaos_accepted a
                             JOIN custom_gpt_jobs j USING (request_id)
                             WHERE j.status IN ('dead', 'failed') GROUP BY 2 ORDER BY 1 DESC")
dlq_reasons=$(redis-cli -p "$redis_port" --raw XRANGE '{gpt-adapter}:jobs:dead' - + |
  awk 'prev == "dead_reason" { n[$0]++ } { prev = $0 } END { for (r in n) printf "%s %d, ", r, n[r] }')

# Audit: one event per create or search answered by its handler, not by the authentication
# layer in front of it (401, 429, and 503 when credentials cannot be checked), nor requests that
# got no answer. An event that could not be appended while Redis was down is logged and counted
# as failed by design (README): the 503s that said so are counted apart.
expected_audit=$(answers | awk '$4 != "000" && $4 != 429 && $4 != 401 &&
    $6 !~ /^Credentials_cannot_be_checked/ { n[$2]++ }
  $6 ~ /^The_request_queue_is_unavailable/ { redis[$2]++ }
  END { printf "create %d search %d (of which Redis was down for: create %d search %d)",
    n["create"], n["search"], redis["create"], redis["search"] }')
written_audit=$(pg -F ' ' -c "SELECT operation_type, count(*) FROM custom_gpt_audit_logs
                              WHERE operation_type IN ('create', 'search') GROUP BY 1 ORDER BY 1" |
  tr '\n' ' ')
accepted_audited=$(pg -c "SELECT count(DISTINCT a.request_id) FROM chaos_accepted a
                          JOIN custom_gpt_audit_logs l USING (request_id)
                          WHERE l.operation_type = 'create' AND l.response_status = 202")
audit_failed_appends=$(cat "$work"/api-*.log | grep -ci audit || true)
# Per kind and status: answers the load saw against audit rows written.
pg -F ' ' -c "SELECT operation_type, response_status, count(*) FROM custom_gpt_audit_logs
              WHERE operation_type IN ('create', 'search') GROUP BY 1, 2" >"$work/audit-rows.txt"
audit_by_status=$(answers | awk '{ n[$2 " " $4]++ } END { for (k in n) print k, n[k] }' |
  awk 'NR == FNR { written[$1 " " $2] = $3; next }
       { printf "  %-7s %s: %6d answers, %6d audit rows\n", $1, $2, $3, written[$1 " " $2] }' \
    "$work/audit-rows.txt" - | sort)
# Requests that got no answer (000) but whose job was enqueued all the same.
answers | awk '$2 == "create" && $4 == "000" { print $5 }' | sort -u >"$work/unanswered.txt"
pg -c "CREATE TABLE chaos_unanswered (request_id text PRIMARY KEY)"
pg -c "\\copy chaos_unanswered FROM '$work/unanswered.txt'"
unanswered_enqueued=$(pg -c "SELECT count(*) FROM chaos_unanswered JOIN custom_gpt_jobs USING (request_id)")

echo
echo "chaos run, $(nproc) cores; build $bin$(grep -q 'CMAKE_BUILD_TYPE:STRING=Debug' "$bin/CMakeCache.txt" 2>/dev/null && echo ' (Debug)')$(grep -qi 'fsanitize' "$bin/CMakeCache.txt" 2>/dev/null && echo ', sanitizers on: slow, robustness only')"
echo "2 API replicas, 2 workers, load: $loops curl loops per kind and replica, ${pause}s apart"
printf '%-40s %s\n' "jobs accepted (202)" "$accepted" \
  "jobs succeeded" "$(count_of succeeded)" \
  "jobs dead / failed" "$(count_of dead) / $(count_of failed)" \
  "accepted jobs lost (must be 0)" "$lost" \
  "audit events expected (answers)" "$expected_audit" \
  "audit events written (PostgreSQL)" "$written_audit" \
  "accepted creates with their 202 audit row" "$accepted_audited of $accepted" \
  "API log lines about audit" "${audit_failed_appends:-0}" \
  "unanswered creates (000) enqueued anyway" "$unanswered_enqueued of $(wc -l <"$work/unanswered.txt")"
echo "audit by answer (an answer given while Redis was down has no row, by design: README):"
echo "$audit_by_status"
if [ -n "$dead_reasons" ]; then
  echo "dead / failed jobs by error:"
  awk '{ print "  " $0 }' <<<"$dead_reasons"
fi
echo "failed answers by kind, status and problem detail:"
answers | awk '$4 !~ /^2/ { n[$2 " " $4 " " $6]++ } END { for (k in n) print "  " n[k], k }' | sort -k2
echo "dead-letter stream by dead_reason: ${dlq_reasons:-none}"
echo "recovery after each fault (ms from the end of the fault until every replica answered a"
echo "create and a search with 2xx; failed answers during fault+recovery):"
while read -r name start end recovery alive; do
  failed=$(answers | awk -v s="$start" -v e="$end" -v r="$recovery" '
    $1 >= s && (r == "none" || $1 <= e + r) && $4 !~ /^2/ { n[$2 " " $4]++ }
    END { for (k in n) printf "%s: %d, ", k, n[k] }')
  first=$(answers | awk -v s="$start" -v e="$end" -v r="$recovery" '
    $1 >= s && (r == "none" || $1 <= e + r) && $4 !~ /^2/ && (!f || $1 < f) { f = $1 }
    END { if (f) printf "first at +%d ms, ", f - s }')
  failed="$first$failed"
  printf '  %-18s fault %6d ms, recovery %6s ms, processes ready after: %-3s failed: %s\n' \
    "$name" "$((end - start))" "$recovery" "$alive" "${failed:-none}"
done <"$work/faults.txt"
echo "  limited application: answers during the fill: ${limited_answers}served again ${limited_recovery} ms after"
echo "processes that needed a manual restart (must be none): ${manual_restarts[*]:-none}"
if [ -s "$work/not-final.txt" ]; then
  echo "accepted jobs without a final row in PostgreSQL (request_id, API job status):"
  head -n 20 "$work/not-final.txt" | sed 's/^/  /'
fi
echo "logs: $logs"
if [ "$lost" -ne 0 ] || [ ${#manual_restarts[@]} -ne 0 ]; then
  exit 1
fi
