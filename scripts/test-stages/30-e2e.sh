#!/usr/bin/env bash
# End-to-end: the official client libraries (openai, ollama, @anthropic-ai/sdk, @langchain/openai, the
# Vercel AI SDK) against target/olla.jar in front of simulated backends (e2e/README.md). Installs the
# pinned dependencies with `npm ci` (e2e/package-lock.json); the suite starts and stops its own processes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here/e2e"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "e2e: node and npm are required (Debian packages nodejs npm, .ci/apt.d/e2e.txt)" >&2
    exit 1
  fi
  echo "e2e: skipped: node/npm not installed (apt-get install nodejs npm)" >&2
  exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "e2e: node >= 20 required, found $(node --version)" >&2
  exit 1
fi
if [ ! -f "$here/target/olla.jar" ]; then
  echo "e2e: $here/target/olla.jar missing: run ./run-tests (or mvn -DskipTests package) first" >&2
  exit 1
fi
. "$here/scripts/jdk.sh"
olla_find_jdk
export JAVA_HOME
OLLA_JAVA_FLAGS="$(olla_java_flags)"
export OLLA_JAVA_FLAGS
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  timeout 300 npm ci --no-audit --no-fund --loglevel=error
fi
# The suite runs in its own process group (node, its test process, both JVMs): whatever ends this
# stage (success, failure, the 110 s bound, a signal), the whole group goes with it.
setsid timeout 110 node --test --test-reporter=spec test/e2e.test.js &
suite=$!
cleanup() {
  kill -TERM -- "-$suite" 2>/dev/null || true
  sleep 1
  kill -KILL -- "-$suite" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 143' INT TERM
wait "$suite"
