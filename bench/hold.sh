#!/usr/bin/env bash
# What holding the first token costs (issue 13): time to first token (TTFT) of streamed chat
# completions, direct to the simulator, through Olla with `proxy.hold_first_token: false`, and through
# Olla with `proxy.hold_first_token: true` (the default), in one run.
#
#   bench/hold.sh                # ~2.5 minutes
#
# ENGINE=olla benchmarks the other proxy engine (default sherpa, Olla's default).
# Olla (both instances, one measured at a time) is pinned to core PROXY_CORE (0), the simulator and the
# client to LOAD_CORE (1). The simulator streams TOKENS (32) small deltas PACE_MS (1) ms apart, the role
# chunk with the headers (as OpenAI and vLLM do: the hold keeps it back until the first token).
# Phases, every run bounded by `timeout`:
#   1. warm-up: WARM (20) s of streams through each Olla (JIT);
#   2. ROUNDS (5) alternating rounds of DUR (6) s per target (direct, hold-off, hold-on), CONNS (2)
#      keep-alive connections each running streams back to back (bench/StreamLatency.java);
#      TTFT = request written -> first content token read, in microseconds.
# Reported: per target the TTFT p50/p99 of every round and of the best round (noise only ever adds
# latency); the hold's cost (on - off) and what Olla adds over direct, both from the best rounds and as
# the median of the per-round differences (the rounds of one pass run back to back, so they share the
# machine's load); and the load average before and after (the machine may be shared: say so).
# Uses three free 127.0.0.1 ports in 20000-29999; results in bench/results/hold-<timestamp>/ (summary.txt, raw outputs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
. "$root/scripts/jdk.sh"
olla_find_jdk
JAVA="$JAVA_HOME/bin/java"
DUR="${DUR:-6}" WARM="${WARM:-20}" ROUNDS="${ROUNDS:-5}" CONNS="${CONNS:-2}"
TOKENS="${TOKENS:-32}" PACE_MS="${PACE_MS:-1}" ENGINE="${ENGINE:-sherpa}"
PROXY_CORE="${PROXY_CORE:-0}" LOAD_CORE="${LOAD_CORE:-1}"
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; for _ in $(seq 1 50); do p=$((20000 + RANDOM % 10000)); in_use "$p" || { echo "$p"; return; }; done; echo "no free port" >&2; exit 1; }
SIM_PORT=$(free_port)
declare -A PORT=([off]=$(free_port) [on]=$(free_port))
command -v taskset >/dev/null || { echo "hold: taskset missing (apt-get install util-linux)" >&2; exit 1; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$here/results/hold-$stamp"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JAR="${OLLA_JAR:-$root/target/olla.jar}"
if [ -z "${OLLA_JAR:-}" ] && { [ ! -f "$JAR" ] || [ -n "$(find "$root/src/main" -newer "$JAR" -print -quit)" ]; }; then
  (cd "$root" && mvn -q -B -DskipTests -Dolla.image.skip=true package)
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(load)

taskset -c "$LOAD_CORE" "$JAVA" -cp "$JAR" dev.olla.sim.SimCli --flavor openai --host 127.0.0.1 \
  --port $SIM_PORT --tokens "$TOKENS" --delay-ms "$PACE_MS" --models m1 > "$out/sim.log" 2>&1 & pids+=($!)
for _ in $(seq 1 300); do grep -q '^http://' "$out/sim.log" && break; kill -0 "${pids[-1]}" 2>/dev/null || break; sleep 0.1; done
grep -q '^http://' "$out/sim.log" || { echo "hold: the simulator did not start:" >&2; cat "$out/sim.log" >&2; exit 1; }

start_olla() { # hold: on | off
  local hold=$1 port=${PORT[$1]} flag
  flag=$([ "$1" = on ] && echo true || echo false)
  cat > "$out/olla-$hold.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
  request_logging: false
  rate_limits:
    global_requests_per_minute: 0
    per_ip_requests_per_minute: 0
proxy:
  engine: $ENGINE
  hold_first_token: $flag
discovery:
  static:
    endpoints:
      - name: sim
        url: http://127.0.0.1:$SIM_PORT
        type: openai-compatible
  health_check:
    initial_delay: 0s
logging:
  level: warn
YAML
  (cd "$out" && exec taskset -c "$PROXY_CORE" "$JAVA" -jar "$JAR" -c "$out/olla-$hold.yaml") > "$out/olla-$hold.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    curl -sf -m 2 "http://127.0.0.1:$port/olla/models" 2>/dev/null | grep -q '"m1"' && return 0
    sleep 0.05
  done
  echo "Olla (hold $hold) did not start" >&2; tail -20 "$out/olla-$hold.log" >&2; return 1
}
start_olla off
start_olla on
if grep -q 'unknown key proxy.hold_first_token' "$out/olla-on.log" "$out/olla-off.log" 2>/dev/null; then
  echo "WARNING: this build does not know proxy.hold_first_token: 'on' and 'off' are the same Olla" | tee "$out/summary.txt"
fi

"$JAVA_HOME/bin/javac" -d "$out/classes" "$here/StreamLatency.java"
declare -A URL=(
  [direct]="http://127.0.0.1:$SIM_PORT/v1/chat/completions"
  [off]="http://127.0.0.1:${PORT[off]}/olla/openai/v1/chat/completions"
  [on]="http://127.0.0.1:${PORT[on]}/olla/openai/v1/chat/completions"
)
stream() { # target conns seconds label -> RESULT line
  timeout $(( $3 + 60 )) taskset -c "$LOAD_CORE" "$JAVA" -cp "$out/classes" StreamLatency "${URL[$1]}" "$2" "$3" "$4" m1 "$TOKENS" \
    > "$out/stream-$4.txt" 2> "$out/stream-$4.err" || true
  grep '^RESULT' "$out/stream-$4.txt" || echo "RESULT $4 0 1 0 0 -1 -1 -1 -1"
}

echo "warm-up: $WARM s through each Olla" >&2
for t in off on; do stream "$t" 4 "$WARM" "warm-$t" > /dev/null; done
: > "$out/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for t in direct off on; do
    read -r _ label streams errors incomplete _ p50 p99 _ _ < <(stream "$t" "$CONNS" "$DUR" "$t-$r")
    echo "$t $r $streams $errors $incomplete $p50 $p99" | tee -a "$out/rounds.txt" >&2
  done
done
load_after=$(load)

{
  echo "hold bench ($ENGINE engine): TTFT (request written -> first content token read), microseconds; $CONNS connections,"
  echo "streams of $TOKENS deltas $PACE_MS ms apart, $ROUNDS rounds x $DUR s per target, Olla on core $PROXY_CORE,"
  echo "simulator and client on core $LOAD_CORE; load average before: $load_before, after: $load_after ($(nproc) cores)"
  awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' \
    && echo "WARNING: the machine was busy (1-minute load ${load_before%% *} on $(nproc) cores): contention figures, p99 is the scheduler's"
  echo
  printf '%-7s %8s %7s %6s  %-28s %-28s\n' target streams errors incompl "p50 per round" "p99 per round"
  for t in direct off on; do
    awk -v t="$t" '$1 == t { s += $3; e += $4; i += $5; p50 = p50 " " $6; p99 = p99 " " $7 }
      END { printf "%-7s %8d %7d %6d  %-28s %-28s\n", t, s, e, i, p50, p99 }' "$out/rounds.txt"
  done
  echo
  # best round per target: the lowest p99 (and that round's p50)
  declare -A B50 B99
  for t in direct off on; do
    read -r B50[$t] B99[$t] < <(awk -v t="$t" '$1 == t && $7 >= 0 { print $6, $7 }' "$out/rounds.txt" | sort -k2,2n | head -1)
  done
  printf 'best round   direct p50 %s p99 %s | hold off p50 %s p99 %s | hold on p50 %s p99 %s\n' \
    "${B50[direct]}" "${B99[direct]}" "${B50[off]}" "${B99[off]}" "${B50[on]}" "${B99[on]}"
  printf 'the hold costs (on - off):     p50 %+d us, p99 %+d us\n' $(( B50[on] - B50[off] )) $(( B99[on] - B99[off] ))
  printf 'Olla with the hold over direct: p50 %+d us, p99 %+d us (target: p99 < 200 us)\n' $(( B50[on] - B50[direct] )) $(( B99[on] - B99[direct] ))
  printf 'Olla without the hold over direct: p50 %+d us, p99 %+d us\n' $(( B50[off] - B50[direct] )) $(( B99[off] - B99[direct] ))
  # the same differences per round (same pass, same load), median over the rounds
  awk '{ v[$1 "," $2 "," "p50"] = $6; v[$1 "," $2 "," "p99"] = $7; if ($2 > n) n = $2 }
    function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    END {
      split("on,off on,direct off,direct", pairs, " ")
      for (p = 1; p <= 3; p++) {
        split(pairs[p], ab, ",")
        for (q = 0; q < 2; q++) {
          m = q ? "p99" : "p50"
          for (r = 1; r <= n; r++) d[r] = v[ab[1] "," r "," m] - v[ab[2] "," r "," m]
          out[p, m] = med(d, n)
        }
        printf "median per-round difference %-10s p50 %+d us, p99 %+d us\n", ab[1] "-" ab[2] ":", out[p, "p50"], out[p, "p99"]
      }
    }' "$out/rounds.txt"
} | tee -a "$out/summary.txt"
echo "Results in $out" >&2
