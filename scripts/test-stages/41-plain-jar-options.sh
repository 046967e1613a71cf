#!/usr/bin/env bash
# Test stage: a plain `java -jar target/olla.jar` (no JVM flags) runs with Olla's own JVM options
# (dev.olla.cli.JvmOptions relaunches it, Java 22+), and a JVM flag of the user's turns that off.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${JAVA_HOME:?}/bin/java"
major=$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
if [ "$major" -lt 22 ]; then echo "plain-jar-options: skipped: Java $major cannot relaunch (needs 22+)" >&2; exit 0; fi
out=$(cd "$root" && env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS timeout 60 "$java" -jar target/olla.jar version)
echo "$out" | grep -q 'jvm options: supplied by Olla' || { echo "plain-jar-options: FAIL: $out" >&2; exit 1; }
# Java 25 on Linux x86-64: the relaunch's execve takes the JDK-internal shortcut (dev.olla.cli.DirectExec,
# ~0.1 s less CPU); if a JDK update breaks it, the public API still relaunches, and this says so
if [ "$major" = 25 ] && [ "$(uname -sm)" = "Linux x86_64" ]; then
  echo "$out" | grep -q 'execve: direct' || { echo "plain-jar-options: FAIL: the relaunch did not use DirectExec: $out" >&2; exit 1; }
fi
out=$(cd "$root" && env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS timeout 60 "$java" -Xmx200m -jar target/olla.jar version)
echo "$out" | grep -q "jvm options: as started" || { echo "plain-jar-options: FAIL (user flag ignored): $out" >&2; exit 1; }
echo "plain-jar-options: relaunch OK" >&2

# Java 25+: the server's AOT cache in the user's cache directory (dev.olla.cli.ClassCache). The first
# server run trains it (the JVM writes it when that server stops), the next start maps it, and a
# cache the JVM rejects is removed a few seconds after start (the next run trains again).
if [ "$major" -lt 25 ]; then echo "plain-jar-options: AOT cache skipped: Java $major (needs 25+)" >&2; exit 0; fi
work=$(mktemp -d); pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "plain-jar-options: FAIL: $*" >&2; tail -5 "$work"/log* >&2; exit 1; }
port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 10000)); (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { port=$p; break; }
done
[ -n "$port" ] || fail "no free port"
cat > "$work/o.yaml" <<YAML
server: {host: 127.0.0.1, port: $port}
discovery: {static: {endpoints: [{name: none, url: "http://127.0.0.1:1", type: openai-compatible}]}}
logging: {level: info, format: text}
YAML
serve() {   # serve N: a plain server run with its own cache directory, until its port answers
  (cd "$work" && exec env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS XDG_CACHE_HOME="$work/cache" \
    "$java" -jar "$root/target/olla.jar" -c "$work/o.yaml") > "$work/log$1" 2>&1 & pid=$!
  for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0; sleep 0.1; done
  fail "run $1 never listened"
}
stop() {    # the first run's JVM assembles the cache at exit: give it time, bounded
  kill "$pid"; for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null && fail "the server did not stop within 60 s"; wait "$pid" 2>/dev/null || true; pid=""
}
serve 1; stop
ls "$work"/cache/olla/*.aot-*.tmp >/dev/null 2>&1 || fail "the first server run left no AOT cache: $(ls "$work"/cache/olla)"
grep -q 'Picked up\|AOTCache creation' "$work/log1" && ! grep -q 'AOTCache creation is complete' "$work/log1" \
  && fail "the cache's assembly failed"
serve 2; sleep 3
cache=$(ls "$work"/cache/olla/*.aot 2>/dev/null) || fail "the second run did not adopt the trained cache"
grep -q "$cache" /proc/$pid/maps || fail "the second run did not map $cache"
if [ "$(uname -m)" = x86_64 ]; then   # Netty's epoll library from the cache, not a temporary copy per start
  grep -q "$work/cache/olla/.*\.native/libnetty_transport_native_epoll" /proc/$pid/maps \
    || fail "Netty's native library was not loaded from the cache directory"
fi
stop
printf 'damaged!' | dd of="$cache" bs=1 seek=0 conv=notrunc 2>/dev/null
serve 3; sleep 3
[ -e "$cache" ] && fail "a cache the JVM rejected was kept"
grep -q 'did not use its AOT cache' "$work/log3" || fail "the rejected cache was not reported"
stop
echo "plain-jar-options: AOT cache trained, adopted, mapped; a damaged one dropped: OK" >&2
