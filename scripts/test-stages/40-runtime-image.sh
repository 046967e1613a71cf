#!/usr/bin/env bash
# Test stage: the runtime image (target/olla-<version>-linux-x86_64.tar.gz, built by `mvn package`)
# runs with no JDK at all. Unpacks it, clears JAVA_HOME and leaves only a handful of basic tools on
# PATH (no java anywhere), then: `bin/olla version`; a simulated backend (the image's own runtime
# running dev.olla.sim.SimCli) and Olla from the image; one proxied chat completion through it.
# Also checks that jdeps finds no module the image lacks (besides the known optional ones).
# Bounded (~60 s), loopback only, ports 20000-29999, stops what it starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
skip() {
  if [ "${CI:-}" = true ]; then echo "runtime-image: FAIL: $*" >&2; exit 1; fi
  echo "runtime-image: skipped: $*" >&2; exit 0
}
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || skip "the image is linux-x86_64 only"
command -v curl >/dev/null || skip "curl is missing"
tarball=$(ls "$root"/target/olla-*-linux-x86_64.tar.gz 2>/dev/null | head -1 || true)
[ -n "$tarball" ] || skip "no target/olla-*-linux-x86_64.tar.gz (run mvn package first)"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  # `timeout` and the JVMs under it outlive their subshell: stop every process that runs from this
  # stage's own temporary directory (a unique path, so nothing else matches).
  pkill -TERM -f -- "$work/" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -f -- "$work/" >/dev/null || break; sleep 0.5; done
  pkill -KILL -f -- "$work/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "runtime-image: FAIL: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }

tar -C "$work" -xzf "$tarball"
img=$(ls -d "$work"/olla-*/)
img=${img%/}

# 1. every module the code needs is in the image (jdeps on the jar vs. the image's module list)
if [ -x "${JAVA_HOME:-}/bin/jdeps" ]; then
  needed=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --multi-release "$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)" --print-module-deps "$img/lib/olla.jar" | tr ',' ' ')
  have=$(sed -n 's/^MODULES="\(.*\)"/\1/p' "$img/runtime/release")
  optional="java.compiler java.desktop java.sql"   # only optional code paths use them (scripts/runtime-image.sh)
  for m in $needed; do
    case " $have $optional " in *" $m "*) ;; *) fail "jdeps says the code uses module $m, which the image lacks (add it in scripts/runtime-image.sh)";; esac
  done
fi

# 2. no JDK: JAVA_HOME unset, PATH holds only a few basic tools (none of them java)
mkdir "$work/path"
for t in sh bash dirname readlink cat sed grep sleep uname mkdir cksum cut; do
  src=$(command -v "$t") && ln -s "$src" "$work/path/$t"
done
run() { local secs=$1; shift; timeout "$secs" env -i HOME="$work" PATH="$work/path" LANG=C "$@"; }
run 10 sh -c 'command -v java' >/dev/null 2>&1 && fail "java still on PATH"

out=$(cd "$work" && run 30 "$img/bin/olla" version) || fail "bin/olla version exited $?: $out"
echo "$out" | grep -q '^Olla ' || fail "bin/olla version printed: $out"
echo "$out" | grep -q 'jvm options: built into the runtime image' || fail "the image's JVM options are not in effect: $out"

. "$root/scripts/loopback.bash"  # free_port, wait_port

sim_port=$(free_port)
(cd "$work" && run 90 "$img/runtime/bin/java" -cp "$img/lib/olla.jar" dev.olla.sim.SimCli --flavor openai \
  --port "$sim_port" --models image-test-model > "$work/sim.log" 2>&1) & pids+=($!)
wait_port "$sim_port"

olla_port=$(free_port)
cat > "$work/config.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $olla_port
discovery:
  static:
    endpoints:
      - name: sim
        url: http://127.0.0.1:$sim_port
        type: openai-compatible
  health_check:
    initial_delay: 0s
YAML
(cd "$work" && run 90 "$img/bin/olla" -c "$work/config.yaml" > "$work/olla.log" 2>&1) & pids+=($!)
wait_port "$olla_port"

ok=""
for _ in $(seq 1 50); do
  code=$(curl -s -o "$work/answer.json" -D "$work/headers.txt" -w '%{http_code}' -m 10 \
    "http://127.0.0.1:$olla_port/olla/openai/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"image-test-model","stream":false,"messages":[{"role":"user","content":"hi"}]}' || true)
  if [ "$code" = 200 ]; then ok=1; break; fi
  sleep 0.2
done
[ -n "$ok" ] || fail "proxied request answered $code: $(cat "$work/answer.json" 2>/dev/null)"
grep -qi '^x-olla-endpoint: sim' "$work/headers.txt" || fail "no X-Olla-Endpoint: sim header"
# 3. a Java 25+ image ships the AOT cache its build trained (scripts/aot-training.sh), and the
#    server maps it (an unusable cache is skipped silently, so look at the process's mappings)
image_java=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$img/runtime/release")
if [ "${image_java:-0}" -ge 25 ] && [ "${OLLA_AOT_TRAINING:-true}" != false ]; then   # false: built without it
  [ -s "$img/lib/olla.aot" ] || fail "Java $image_java image without lib/olla.aot (the build's AOT training failed?)"
  pid=$(pgrep -f -- "-jar $img/lib/olla.jar" | head -1)
  [ -n "$pid" ] && grep -q "$img/lib/olla.aot" "/proc/$pid/maps" || fail "the server did not map lib/olla.aot (cache rejected?)"
fi
# 4. Netty's epoll library comes from lib/native (bin/olla's java.library.path), not a /tmp copy
pid=$(pgrep -f -- "-jar $img/lib/olla.jar" | head -1)
[ -n "$pid" ] && grep -q "$img/lib/native/libnetty_transport_native_epoll" "/proc/$pid/maps" \
  || fail "Netty's epoll library was not loaded from lib/native"
grep -q '"chat.completion"' "$work/answer.json" || fail "unexpected answer: $(cat "$work/answer.json")"
echo "runtime-image: OK ($(basename "$tarball"): version, proxied request, no JDK on PATH or JAVA_HOME)" >&2
