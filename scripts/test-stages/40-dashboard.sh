#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium driven by playwright-core (ui-test/, pinned in
# its package-lock.json) against a running Olla with simulated backends under scripted traffic.
# UPDATE_SCREENSHOT=1 also writes docs/dashboard.png.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
missing=""
command -v node >/dev/null || missing="$missing node"
command -v npm >/dev/null || missing="$missing npm"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = true ]; then
    echo "dashboard stage: missing$missing" >&2
    exit 1
  fi
  echo "skipping dashboard stage: missing$missing" >&2
  exit 0
fi
[ -f target/olla.jar ] || { echo "target/olla.jar missing: run mvn package first" >&2; exit 1; }
(cd ui-test && npm ci --no-audit --no-fund --silent)
. scripts/test-stages/olla-stack.bash
work=$(mktemp -d)
trap 'stack_stop; rm -rf "$work"' EXIT
stack_start "$work"
shot=""
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then
  shot="$PWD/docs/dashboard.png"
fi
(cd ui-test && OLLA_URL="$OLLA_URL" KILL_PID="$SIM_PID_vllm" SCREENSHOT="$shot" timeout 170 node --test dashboard.test.mjs)
