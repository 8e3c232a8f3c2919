#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of fuzz/ (clang 14 from Debian: clang-14 and
# libclang-rt-14-dev; scripts/install-deps.sh installs them) under ASan and UBSan, in build/fuzz,
# apart from the GCC builds. Usage:
#   tools/fuzz.sh [--seconds N] [--jobs J] [TARGET...]   run each target N seconds (default 60)
#   tools/fuzz.sh seed                                    re-seed fuzz/corpus from the tests
#   tools/fuzz.sh --list                                  print the targets
# Each target starts from its seed corpus fuzz/corpus/<target> (in the repository) and keeps what
# it finds in build/fuzz/corpus/<target> (not in the repository; merge interesting inputs back
# by hand). A crash, leak or timeout leaves its input in build/fuzz/findings/<target>/ and fails
# the run. At the end a table gives each target's executions and findings.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/fuzz"
seconds=60
jobs=1
targets=()
mapfile -t all_targets < <(sed -n '/set(gpt_adapter_fuzz_targets/,/)/p' "$root/fuzz/CMakeLists.txt" |
  tr ' ()' '\n' | grep '^fuzz_')

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds)
      seconds=$2
      shift 2
      ;;
    --jobs)
      jobs=$2
      shift 2
      ;;
    --list)
      printf '%s\n' "${all_targets[@]}"
      exit 0
      ;;
    seed)
      exec python3 "$root/fuzz/seed_corpus.py"
      ;;
    -*)
      echo "usage: tools/fuzz.sh [--seconds N] [--jobs J] [TARGET...] | seed | --list" >&2
      exit 2
      ;;
    *)
      targets+=("$1")
      shift
      ;;
  esac
done
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPT_ADAPTER_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$build" --target "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
summary=()
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  findings="$build/findings/$target"
  mkdir -p "$work" "$findings"
  log="$build/findings/$target.log"
  parallel=()
  if [ "$jobs" -gt 1 ]; then
    parallel=(-jobs="$jobs" -workers="$jobs")
  fi
  set +e
  # In the findings folder: with -jobs each job writes its log there as fuzz-N.log.
  (cd "$findings" && "$build/fuzz/$target" -max_total_time="$seconds" "${parallel[@]}" \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "$root/fuzz/corpus/$target") >"$log" 2>&1
  result=$?
  set -e
  runs=$(cat "$log" "$findings"/fuzz-*.log 2>/dev/null |
    grep -o 'stat::number_of_executed_units: *[0-9]*' | awk '{s += $2} END {print s + 0}' ||
    true)
  mv -f "$findings"/fuzz-*.log "$build/findings/" 2>/dev/null || true
  found=$(find "$findings" -type f | wc -l)
  summary+=("$(printf '%-26s %14s %10s %s' "$target" "$runs" "$found" \
    "$([ "$result" -eq 0 ] && echo ok || echo "FAILED (exit $result, $log)")")")
  [ "$result" -eq 0 ] && [ "$found" -eq 0 ] || status=1
done
printf '%-26s %14s %10s %s\n' target executions findings result
printf '%s\n' "${summary[@]}"
exit "$status"
