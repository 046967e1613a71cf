#!/usr/bin/env bash
# /internal/metrics passes `promtool check metrics` after real traffic (Olla + simulated backends),
# except the original's legacy series, kept by name for existing dashboards (docs/operations.md);
# a lint problem on any other series fails the stage.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! command -v promtool >/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "promtool missing (Debian package prometheus)" >&2
    exit 1
  fi
  echo "skipping promtool stage: promtool not installed (apt-get install prometheus)" >&2
  exit 0
fi
[ -f target/olla.jar ] || { echo "target/olla.jar missing: run mvn package first" >&2; exit 1; }
. scripts/test-stages/olla-stack.bash
work=$(mktemp -d)
trap 'stack_stop; rm -rf "$work"' EXIT
stack_start "$work"
stack_traffic 3
curl -sf "$OLLA_URL/internal/metrics" >"$work/metrics.txt"

# The original's names (drop-in Grafana boards): their lint findings are expected and allowed.
legacy='^(olla_avg_latency_ms|olla_endpoint_avg_latency_ms|olla_endpoint_models_count|olla_endpoint_traffic_bytes|olla_endpoints_total|olla_model_avg_latency_ms|olla_model_endpoint_avg_latency_ms|olla_model_p95_latency_ms|olla_model_p99_latency_ms|olla_model_traffic_bytes|olla_models_total|olla_models_traffic_bytes|olla_total_traffic_bytes) '
set +e
promtool check metrics <"$work/metrics.txt" >"$work/lint.txt" 2>&1
set -e
if grep -q 'error while linting' "$work/lint.txt"; then
  cat "$work/lint.txt" >&2
  exit 1
fi
bad=$(grep -Ev "$legacy" "$work/lint.txt" | grep -v '^$' || true)
if [ -n "$bad" ]; then
  echo "promtool found problems in new series:" >&2
  echo "$bad" >&2
  exit 1
fi
# the series the conventions ask for are there, with traffic in them
for want in 'olla_request_duration_seconds_bucket{' 'olla_time_to_first_token_seconds_bucket{' \
    'olla_prompt_tokens_total{endpoint="gpu0",model="llama3.2:3b"}' 'olla_completion_tokens_total{' \
    'olla_endpoint_in_flight_requests{' 'jvm_memory_used_bytes{' 'process_cpu_seconds_total' \
    'olla_endpoint_state{endpoint="gpu0",state="healthy"} 1'; do
  grep -qF "$want" "$work/metrics.txt" || { echo "missing in /internal/metrics: $want" >&2; exit 1; }
done
tokens=$(grep -F 'olla_completion_tokens_total{endpoint="gpu0",model="llama3.2:3b"}' "$work/metrics.txt" | awk '{print $2}')
awk -v t="$tokens" 'BEGIN { exit !(t > 0) }' || { echo "no completion tokens counted: $tokens" >&2; exit 1; }
echo "promtool: $(grep -c '^# TYPE' "$work/metrics.txt") metric families checked, $(grep -cE "$legacy" "$work/lint.txt" || true) legacy findings allowed"
echo "1 passed, 0 failed"
