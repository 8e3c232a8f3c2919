#!/usr/bin/env bash
# The test command: installs what is missing, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer and warnings as errors, and runs the whole suite with ctest.
# Integration tests start their own PostgreSQL and Redis on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=${GPT_ADAPTER_TEST_PRESET:-ci-sanitize}
jobs=${GPT_ADAPTER_TEST_JOBS:-$(nproc)}

bash scripts/install-deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset" --parallel "$jobs"

# LeakSanitizer reports leaks at exit; UBSan stops at the first report so it cannot go unseen.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset "$preset" --parallel "$jobs" --timeout 600 "$@"
