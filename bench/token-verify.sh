#!/usr/bin/env bash
# Prints ns/op of what bearer authentication computes before any I/O, on a release build:
# access-token verification (auth::verify_access_token with HS256, RS256 and ES256 keys) and an
# API key's shape check and SHA-256 (the key of the API-key cache). Compare with the per-request
# time bench/api-me.sh prints. Not part of the test suite.
#   bench/token-verify.sh [ITERATIONS_FOR_HS256]
# GPT_ADAPTER_BENCH_BUILD_DIR names the build directory (default build/bench-release); it is
# configured as a Release build with -DGPT_ADAPTER_BENCH=ON, which adds the bench/ targets.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${GPT_ADAPTER_BENCH_BUILD_DIR:-$root/build/bench-release}

configure=(-S "$root" -B "$bin" -DCMAKE_BUILD_TYPE=Release -DGPT_ADAPTER_BENCH=ON)
if [ ! -f "$bin/CMakeCache.txt" ]; then
  configure+=(-G Ninja)
fi
if command -v ccache >/dev/null; then
  configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake "${configure[@]}" >/dev/null
cmake --build "$bin" --parallel "$(nproc)" --target token_verify >/dev/null

echo "machine: $(nproc) cores, $(uname -m); $(openssl version | cut -d' ' -f1-2)"
"$bin/bench/token_verify" "$@"
