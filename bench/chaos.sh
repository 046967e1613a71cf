#!/usr/bin/env bash
# Chaos benchmark (issue 9): three simulated vLLM backend PROCESSES killed with kill -9 and
# restarted every 1-4 s (at least one always alive) while ~RATE req/s (half streamed) go through
# Olla, for each engine. Prints requests sent / failed / cut / hung, the worst cases, and the Olla
# process's open FDs and RSS before, during (peak) and after.
#
#   bench/chaos.sh [SECONDS=120] [RATE=200] [ENGINES="sherpa olla"]     (OLLA_JAR=... to use another jar)
#
# Target: 0 failed non-streamed requests, 0 hung; streams cut only when their backend was killed
# under them. Uses only 127.0.0.1 and ports 18180-18189; stops everything it starts.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
OLLA_JAVA_FLAGS="$(olla_java_flags)"
SECS="${1:-120}"
RATE="${2:-200}"
ENGINES="${3:-sherpa olla}"
OLLA_PORT=18180
PORTS="18181,18182,18183"
need_ports $OLLA_PORT 4
CHECK_INTERVAL="${CHECK_INTERVAL:-2s}"

bench_jar -o   # OLLA_JAR: test a jar built elsewhere
bench_results chaos

summary="$out/summary.txt"
echo "chaos $stamp: ${SECS}s per engine, ${RATE} req/s (half streamed), 3 backends killed (-9)/restarted every 1-4 s, check_interval $CHECK_INTERVAL" | tee "$summary"
for engine in $ENGINES; do
  endpoints=""
  for p in ${PORTS//,/ }; do
    endpoints="$endpoints
      - name: b$p
        url: http://127.0.0.1:$p
        type: vllm
        check_interval: $CHECK_INTERVAL
        check_timeout: 1s"
  done
  cat > "$out/olla-$engine.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $OLLA_PORT
  request_logging: false
  rate_limits:
    global_requests_per_minute: 0
    per_ip_requests_per_minute: 0
proxy:
  engine: $engine
  load_balancer: least-connections
discovery:
  static:
    endpoints:$endpoints
  health_check:
    initial_delay: 0s
logging:
  level: warn
YAML
  "$JAVA" -Xms128m -Xmx256m -XX:+UseSerialGC $OLLA_JAVA_FLAGS -jar "$JAR" \
    -c "$out/olla-$engine.yaml" > "$out/olla-$engine.log" 2>&1 &
  olla_pid=$!; pids=("$olla_pid")
  wait_port $OLLA_PORT
  echo "== engine $engine" | tee -a "$summary"
  "$JAVA" -XX:+UseSerialGC -Xmx256m -cp "$JAR" dev.olla.sim.ChaosCli \
    "http://127.0.0.1:$OLLA_PORT/olla/vllm/v1/chat/completions" "$PORTS" "$SECS" "$RATE" "$olla_pid" \
    | tee -a "$summary"
  grep -c "circuit breaker\|-> offline\|-> healthy" "$out/olla-$engine.log" | sed 's/^/health log lines: /' | tee -a "$summary" || true
  kill "$olla_pid" 2>/dev/null || true; wait "$olla_pid" 2>/dev/null || true; pids=()
done
echo "results in $out"
