#!/usr/bin/env bash
# HA stage: two Olla instances sharing state through a real Redis behind a real HAProxy; one is
# killed under mixed load (bench/ha.sh, 6 s of load). Needs redis-server, haproxy and curl
# (.ci/apt.d/ha.txt): skipped with a message when missing, except under CI=true.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in redis-server haproxy curl; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${CI:-}" = "true" ]; then
      echo "ha stage: '$tool' is missing (see .ci/apt.d/ha.txt)" >&2
      exit 1
    fi
    echo "ha stage: skipped, '$tool' is not installed (apt-get install redis-server haproxy curl)" >&2
    exit 0
  fi
done
exec timeout 150 bash "$root/bench/ha.sh" 6 12
