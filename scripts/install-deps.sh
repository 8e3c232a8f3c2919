#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test, run and lint.
# Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates openssl
  libboost1.81-dev libboost-json1.81-dev libssl-dev libpq-dev libhiredis-dev
  libspdlog-dev libcpp-jwt-dev catch2
  postgresql redis-server
  wrk jq clang-format clang-tidy yamllint shellcheck
  # The libFuzzer targets (fuzz/, tools/fuzz.sh) build with clang 14 and its runtime.
  clang-14 libclang-rt-14-dev
  # promtool: the alert rules, their tests and the metric scrapes are checked with it.
  prometheus
)
# Node.js and npm run the client tests built on oauth4webapi (tests/oauth4webapi) and the MCP
# TypeScript SDK (tests/mcp-sdk). A Node.js that is already installed (from NodeSource, say,
# which bundles npm) is kept.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

# The tests' npm dependencies, exactly as locked.
install_node_modules() {
  local root dir
  root="$(cd "$(dirname "$0")/.." && pwd)"
  for dir in "$root/tests/oauth4webapi" "$root/tests/mcp-sdk"; do
    if [ -f "$dir/node_modules/.package-lock.json" ] &&
      cmp -s <(jq -S '.packages | del(."")' "$dir/package-lock.json") \
        <(jq -S '.packages' "$dir/node_modules/.package-lock.json"); then
      echo "install-deps: $dir/node_modules is up to date"
      continue
    fi
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts)
  done
}

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  install_node_modules
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_node_modules
