#!/usr/bin/env bash
# HA check: Redis + two Olla instances (deploy/ha/olla.yaml, shared state) + HAProxy
# (deploy/ha/haproxy.cfg) + two simulated Ollama backends, all on 127.0.0.1. bench/HaCheck.java then
# checks, through HAProxy: a per-client rate limit holds exactly across both instances; sticky
# sessions keep their pins when one instance is killed (SIGKILL) under mixed load; no non-streamed
# request fails except those in flight at the kill. Prints the figures; exit 1 on a failed check.
#
#   bench/ha.sh [LOAD_SECONDS=8] [WORKERS=16]
#
# Needs: redis-server and haproxy (Debian: apt-get install redis-server haproxy), a JDK >= 21.
# Ports: a random free block below 32768. Stops everything it starts. The Redis command timeout is
# raised to 1 s (HA_REDIS_TIMEOUT) so that a loaded CI machine does not push the instances onto
# their local fallback, which would (correctly) loosen the shared rate limit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
LOAD_SECONDS="${1:-8}"
WORKERS="${2:-16}"
BURST=20
for tool in redis-server haproxy; do
  command -v "$tool" >/dev/null || { echo "ha: '$tool' is missing (apt-get install redis-server haproxy)" >&2; exit 3; }
done

bench_jar
base=$(free_ports 7)
REDIS_PORT=$base SIM_PORT=$((base + 1)) OLLA1_PORT=$((base + 3)) OLLA2_PORT=$((base + 4)) HA_PORT=$((base + 5)) STATS_PORT=$((base + 6))
work=$(mktemp -d "${TMPDIR:-/tmp}/olla-ha.XXXXXX")
remove_work() { rm -rf "$work"; }
bench_cleanup_extra=remove_work

wait_http() {
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "ha: $1 never answered: $(curl -sS -i "$1" 2>&1 | head -3)" >&2
  for f in "$work"/*.log; do echo "---- $f" >&2; tail -15 "$f" >&2; done
  return 1
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning > "$work/redis.log" 2>&1 & pids+=($!)
"$JAVA" -cp "$JAR" dev.olla.sim.SimCli --flavor ollama --port "$SIM_PORT" --count 2 --tokens 6 \
  --delay-ms 5 --models llama3.2:3b > "$work/sim.log" 2>&1 & pids+=($!)

# The example configuration with this run's backends, a small per-client limit and its own key prefix.
sed -e "s#http://127.0.0.1:11434#http://127.0.0.1:$SIM_PORT#" -e "s#http://127.0.0.1:11435#http://127.0.0.1:$((SIM_PORT + 1))#" \
    -e "s#per_ip_requests_per_minute: 600#per_ip_requests_per_minute: 6#" -e "s#burst_size: 100#burst_size: $BURST#" \
    -e "s#key_prefix: \"olla-ha:\"#key_prefix: \"olla-ha-$base:\"#" \
    -e "s#command_timeout: 250ms#command_timeout: ${HA_REDIS_TIMEOUT:-1s}#" "$root/deploy/ha/olla.yaml" > "$work/olla.yaml"
grep -q "command_timeout: ${HA_REDIS_TIMEOUT:-1s}" "$work/olla.yaml" || { echo "ha: deploy/ha/olla.yaml changed shape" >&2; exit 1; }
start_olla() {
  OLLA_SERVER_PORT="$1" OLLA_STATE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" OLLA_LOGGING_FORMAT=text \
    "$JAVA" $(olla_java_flags 2>/dev/null || true) -jar "$JAR" -c "$work/olla.yaml" > "$work/olla-$1.log" 2>&1 &
}
start_olla "$OLLA1_PORT"; OLLA1_PID=$!; pids+=($OLLA1_PID)
start_olla "$OLLA2_PORT"; pids+=($!)
wait_http "http://127.0.0.1:$OLLA1_PORT/internal/health"
wait_http "http://127.0.0.1:$OLLA2_PORT/internal/health"

HA_BIND="127.0.0.1:$HA_PORT" HA_STATS_BIND="127.0.0.1:$STATS_PORT" OLLA1="127.0.0.1:$OLLA1_PORT" OLLA2="127.0.0.1:$OLLA2_PORT" \
  haproxy -db -f "$root/deploy/ha/haproxy.cfg" > "$work/haproxy.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$HA_PORT/internal/health"
sleep 1.5 # both servers pass HAProxy's first checks (rise 2 x 500 ms)

echo "HA check: redis :$REDIS_PORT, olla1 :$OLLA1_PORT (pid $OLLA1_PID), olla2 :$OLLA2_PORT, haproxy :$HA_PORT, backends :$SIM_PORT-$((SIM_PORT + 1))"
set +e
"$JAVA" "$here/HaCheck.java" "http://127.0.0.1:$HA_PORT" "$OLLA1_PID" "$LOAD_SECONDS" "$WORKERS" "$BURST"
rc=$?
set -e
echo "olla2 state: $(curl -fsS "http://127.0.0.1:$OLLA2_PORT/internal/status" | grep -o '"state":{[^}]*}')"
if [ $rc != 0 ]; then
  echo "---- olla2 log (tail)"; tail -20 "$work/olla-$OLLA2_PORT.log"
  echo "---- haproxy log (tail)"; tail -10 "$work/haproxy.log"
fi
exit $rc
