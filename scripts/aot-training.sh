#!/usr/bin/env bash
# The AOT cache's training run (JDK 25+, JEP 483/514/515), used by scripts/runtime-image.sh:
#
#   scripts/aot-training.sh JAVA JAR CACHE [JVM options...]
#
# Starts a simulated OpenAI-compatible backend (dev.olla.sim.SimCli, from the same jar) and Olla in
# front of it with -XX:AOTCacheOutput=CACHE, sends what a first client sends (health, model list,
# chat completions streamed and not), then stops Olla with SIGTERM: at exit the JVM writes CACHE
# (the classes Olla loaded and linked, and method profiles). Requests go over bash's /dev/tcp, so
# the build needs no curl. Loopback only, ports 20000-29999, bounded (~40 s), stops what it starts.
set -euo pipefail
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
java=$(abs "$1") jar=$(abs "$2") cache=$(abs "$3"); shift 3
. "$(dirname "${BASH_SOURCE[0]}")/loopback.bash"  # loopback_setup, fail, free_port, wait_port, request
loopback_setup aot-training

sim=$(free_port)
"$java" -XX:TieredStopAtLevel=1 -cp "$jar" dev.olla.sim.SimCli --flavor openai --port "$sim" --models train-model \
  > "$work/sim.log" 2>&1 & pids+=($!)
wait_port "$sim"
port=$(free_port)
cat > "$work/config.yaml" <<YAML
server: {host: 127.0.0.1, port: $port}
discovery:
  static: {endpoints: [{name: sim, url: "http://127.0.0.1:$sim", type: openai-compatible}]}
  health_check: {initial_delay: 0s}
logging: {level: warn}
YAML
rm -f "$cache"
(cd "$work" && exec "$java" "$@" -XX:AOTCacheOutput="$cache" -Xlog:aot=warning -jar "$jar" -c "$work/config.yaml") \
  > "$work/olla.log" 2>&1 & olla=$!; pids+=($olla)
wait_port "$port"
chat='{"model":"train-model","stream":false,"messages":[{"role":"user","content":"hi"}]}'
ok=""
for _ in $(seq 1 100); do
  [ "$(request "$port" POST /olla/openai/v1/chat/completions "$chat")" = 200 ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "no proxied answer from the training server"
for _ in $(seq 1 20); do
  request "$port" POST /olla/openai/v1/chat/completions "$chat" >/dev/null
  request "$port" POST /olla/openai/v1/chat/completions "${chat/\"stream\":false/\"stream\":true}" >/dev/null
  request "$port" POST /v1/chat/completions "$chat" >/dev/null
  request "$port" GET /olla/openai/v1/models >/dev/null
  request "$port" GET /internal/health >/dev/null
done
kill -TERM "$olla"
wait "$olla" 2>/dev/null || true
[ -s "$cache" ] || fail "the JVM wrote no AOT cache at $cache"
