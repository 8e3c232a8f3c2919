#!/usr/bin/env bash
# Container health probe without curl in the image: sends one HTTP/1.1 GET to 127.0.0.1 with
# bash's /dev/tcp and succeeds only on a 200 status line.
# Usage: gpt-adapter-healthcheck PATH PORT   e.g. gpt-adapter-healthcheck /health/ready 8000
set -euo pipefail

path=${1:?usage: gpt-adapter-healthcheck PATH PORT}
port=${2:?usage: gpt-adapter-healthcheck PATH PORT}
timeout_seconds=${HEALTHCHECK_TIMEOUT_SECONDS:-3}

exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
status_line=""
IFS= read -r -t "$timeout_seconds" status_line <&3 || true
exec 3>&-

case "$status_line" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *)
    echo "healthcheck: GET ${path} on port ${port}: ${status_line:-no response}" >&2
    exit 1
    ;;
esac
