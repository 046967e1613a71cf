#!/usr/bin/env bash
# Test stage: a started Olla that has proxied chat completions (streamed and not) and answered
# /internal/health, /version and a 404 has never created a Jackson ObjectMapper (its first creation
# loads ~525 classes that stay resident: idle memory; docs/operations.md#jvm-options). Starts the
# simulator and Olla from target/olla.jar on loopback ports 20000-29999 with -Xlog:class+load,
# bounded (~15 s), stops what it starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${JAVA_HOME:?}/bin/java"
jar="$root/target/olla.jar"
. "$root/scripts/loopback.bash"  # loopback_setup, fail, free_port, wait_port, request
loopback_setup "lean-start: FAIL"
sim=$(free_port)
"$java" -XX:TieredStopAtLevel=1 -cp "$jar" dev.olla.sim.SimCli --flavor openai --port "$sim" --models m1 \
  > "$work/sim.log" 2>&1 & pids+=($!)
wait_port "$sim"
port=$(free_port)
cat > "$work/config.yaml" <<YAML
server: {host: 127.0.0.1, port: $port}
discovery:
  static: {endpoints: [{name: sim, url: "http://127.0.0.1:$sim", type: openai-compatible}]}
  health_check: {initial_delay: 0s}
logging: {level: info, format: json}
YAML
# a JVM option given: no relaunch, so the class log covers the server itself
(cd "$work" && exec "$java" -Xlog:class+load=info:file="$work/classes.txt" -jar "$jar" -c "$work/config.yaml") \
  > "$work/olla.log" 2>&1 & pids+=($!)
wait_port "$port"
chat='{"model":"m1","stream":false,"messages":[{"role":"user","content":"hi"}]}'
ok=""
for _ in $(seq 1 100); do
  [ "$(request "$port" POST /olla/openai/v1/chat/completions "$chat")" = 200 ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "no proxied answer"
[ "$(request "$port" POST /olla/openai/v1/chat/completions "${chat/\"stream\":false/\"stream\":true}")" = 200 ] || fail "streamed chat"
[ "$(request "$port" GET /internal/health)" = 200 ] || fail "/internal/health"
[ "$(request "$port" GET /version)" = 200 ] || fail "/version"
[ "$(request "$port" GET /no/such/path)" = 404 ] || fail "404"
grep -q '"message":"Olla listening on' "$work/olla.log" || fail "no JSON log line from the server"
if grep -q 'com.fasterxml.jackson.databind.ObjectMapper ' "$work/classes.txt"; then
  fail "an ObjectMapper was created (run with -XX:+UnlockDiagnosticVMOptions -XX:LogClassLoadingCauseFor=com.fasterxml.jackson.databind.ObjectMapper -Xlog:class+load+cause to see by whom)"
fi
echo "lean-start: OK ($(grep -c . "$work/classes.txt") classes loaded, no ObjectMapper)" >&2
