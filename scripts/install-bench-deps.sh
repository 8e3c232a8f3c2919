#!/usr/bin/env bash
# Installs the Debian 12 packages only the benchmarks (bench/) need, on top of
# scripts/install-deps.sh: nginx (the static-answer ceiling), the seeds' Python stack (FastAPI on
# uvicorn with uvloop and httptools, redis-py, PyJWT: the peer bench/seeds_peer.py runs on) and
# perf (profiles). Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(
  nginx
  python3-fastapi python3-uvicorn python3-uvloop python3-httptools python3-redis python3-jwt
  linux-perf
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi
echo "install-bench-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
