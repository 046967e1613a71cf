#!/usr/bin/env bash
# What holding the first token costs (issue 13), and what a proxy hop costs (issue 14): time to first
# token (TTFT) of streamed chat completions, direct to the simulator, through nginx (the reference hop:
# proxy_buffering off, keep-alive upstream), through Olla with `proxy.hold_first_token: false` and
# through Olla with `proxy.hold_first_token: true` (the default), in one run.
#
#   bench/hold.sh                # MODE=paired (default): ~2.5 minutes, both engines
#   MODE=rounds bench/hold.sh    # the older rounds mode (TTFT and gaps, CONNS connections): ~4.5 minutes
#
# ENGINES ("sherpa olla") picks the proxy engines; ENGINE=olla (the old knob) measures one.
# OLLA_JAR_B=<jar> and/or OLLA_OPTS_B="<JVM options>" (paired mode) add, per engine and hold setting, an Olla
# running that jar (default: the same) with those JVM options instead of its own jvm.options
# ("<engine>-<on|off>-b"), measured interleaved with the others: an A/B of two builds or two JVM set-ups
# under the same load, reported as b - a pairs.
# The Ollas and nginx are pinned to core PROXY_CORE (0), the simulator and the client to LOAD_CORE (1).
# The simulator streams TOKENS small deltas PACE_MS (1) ms apart, the role chunk with the headers (as OpenAI
# and vLLM do: the hold keeps it back until the first token) and the first token FIRST_MS (0) ms after the
# headers: with 0 the first token is not paced by a timer, so TTFT measures the path (request in, head, role
# chunk and first token out), not the simulator's timer wake-up (FIRST_MS=$PACE_MS gives the old, timer-paced
# first token). Every run is bounded by `timeout`; first a warm-up of WARM (20) s of streams through each Olla (JIT).
#
# MODE=paired: ONE client thread sends one stream at a time, to every target in turn (the order rotates each
#   cycle), for PAIRED_SECS (90) s, TOKENS (4) per stream (bench/HopLatency.java): every target is sampled under the
#   same load, milliseconds apart, and each cycle gives a paired difference per pair of targets. Reported per
#   target TTFT p50/p90/p99/p99.9/max, and per pair (nginx - direct, on - off, on - direct, on - nginx, b - a)
#   the difference of the percentiles and the percentiles of the per-cycle differences; and each proxy's CPU
#   per stream over that phase (utime+stime of the whole process / streams; JIT threads included).
# MODE=rounds: ROUNDS (5) alternating rounds of DUR (6) s per target, CONNS (2) keep-alive connections each
#   running streams of TOKENS (32) back to back (bench/StreamLatency.java); TTFT and gaps between tokens. Reported:
#   per target TTFT p50/p99 and gap p99 of every round and of the best round, the median of the per-round
#   differences (on - off, Olla - direct, nginx - direct, Olla - nginx).
# Both report the load average before and after (the machine may be shared: say so). Without nginx
# (apt-get install nginx) its samples are skipped. Uses free 127.0.0.1 ports in 20000-29999; results in
# bench/results/hold-<timestamp>/ (summary.txt, raw outputs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
. "$root/scripts/jdk.sh"
olla_find_jdk
JAVA="$JAVA_HOME/bin/java"
MODE="${MODE:-paired}"
case "$MODE" in paired|rounds) ;; *) echo "hold: unknown MODE $MODE (paired, rounds)" >&2; exit 2;; esac
DUR="${DUR:-6}" WARM="${WARM:-20}" ROUNDS="${ROUNDS:-5}" CONNS="${CONNS:-2}" PAIRED_SECS="${PAIRED_SECS:-90}"
TOKENS="${TOKENS:-$([ "$MODE" = paired ] && echo 4 || echo 32)}" PACE_MS="${PACE_MS:-1}" FIRST_MS="${FIRST_MS:-0}" ENGINES="${ENGINES:-${ENGINE:-sherpa olla}}"
PROXY_CORE="${PROXY_CORE:-0}" LOAD_CORE="${LOAD_CORE:-1}"
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; for _ in $(seq 1 50); do p=$((20000 + RANDOM % 10000)); in_use "$p" || { echo "$p"; return; }; done; echo "no free port" >&2; exit 1; }
SIM_PORT=$(free_port)
declare -A PORT PID
OLLAS=""
for e in $ENGINES; do
  case "$e" in sherpa|olla) ;; *) echo "hold: unknown engine $e (sherpa, olla)" >&2; exit 2;; esac
  for h in off on; do PORT[$e-$h]=$(free_port); OLLAS="$OLLAS $e-$h"; done
  if [ -n "${OLLA_JAR_B:-}${OLLA_OPTS_B:-}" ]; then
    [ "$MODE" = paired ] || { echo "hold: OLLA_JAR_B / OLLA_OPTS_B need MODE=paired" >&2; exit 2; }
    for h in off on; do PORT[$e-$h-b]=$(free_port); OLLAS="$OLLAS $e-$h-b"; done
  fi
done
NGINX_PORT=$(free_port)
TARGETS="direct nginx$OLLAS"
command -v nginx >/dev/null || { echo "hold: nginx missing (apt-get install nginx): no nginx rounds" >&2; TARGETS="direct$OLLAS"; }
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
  --port $SIM_PORT --tokens "$TOKENS" --delay-ms "$PACE_MS" --first-token-delay-ms "$FIRST_MS" --models m1 > "$out/sim.log" 2>&1 & pids+=($!)
for _ in $(seq 1 300); do grep -q '^http://' "$out/sim.log" && break; kill -0 "${pids[-1]}" 2>/dev/null || break; sleep 0.1; done
grep -q '^http://' "$out/sim.log" || { echo "hold: the simulator did not start:" >&2; cat "$out/sim.log" >&2; exit 1; }

if [[ " $TARGETS " == *" nginx "* ]]; then
  # the reference hop, as bench/nginx-proxy.conf's streaming server: one worker, no buffering, keep-alive upstream
  cat > "$out/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $out/nginx.pid;
error_log $out/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $out/nginx-tmp;
  proxy_temp_path $out/nginx-tmp;
  keepalive_requests 1000000;
  upstream sim { server 127.0.0.1:$SIM_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
  mkdir -p "$out/nginx-tmp"
  taskset -c "$PROXY_CORE" nginx -c "$out/nginx.conf" -p "$out" > "$out/nginx.log" 2>&1 & pids+=($!); PID[nginx]=$!
  for _ in $(seq 1 100); do in_use "$NGINX_PORT" && break; sleep 0.05; done
  in_use "$NGINX_PORT" || { echo "hold: nginx did not start:" >&2; cat "$out/nginx.log" "$out/nginx-error.log" >&2; exit 1; }
fi

start_olla() { # <engine>-<on|off>[-b]
  local hold=$1 port=${PORT[$1]} flag jar=$JAR engine=${1%%-*} opts=()
  flag=$([[ "$1" == *-on* ]] && echo true || echo false)
  if [[ "$1" == *-b ]]; then
    jar=${OLLA_JAR_B:-$JAR}
    read -r -a opts <<< "${OLLA_OPTS_B:-}"
  fi
  cat > "$out/olla-$hold.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
  request_logging: false
  rate_limits:
    global_requests_per_minute: 0
    per_ip_requests_per_minute: 0
proxy:
  engine: $engine
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
  (cd "$out" && exec taskset -c "$PROXY_CORE" "$JAVA" "${opts[@]}" -jar "$jar" -c "$out/olla-$hold.yaml") > "$out/olla-$hold.log" 2>&1 &
  pids+=($!); PID[$1]=$! # the relaunch keeps the process id (execve)
  for _ in $(seq 1 600); do
    curl -sf -m 2 "http://127.0.0.1:$port/olla/models" 2>/dev/null | grep -q '"m1"' && return 0
    sleep 0.05
  done
  echo "Olla (hold $hold) did not start" >&2; tail -20 "$out/olla-$hold.log" >&2; return 1
}
for t in $OLLAS; do start_olla "$t"; done
if grep -q 'unknown key proxy.hold_first_token' "$out"/olla-*.log 2>/dev/null; then
  echo "WARNING: this build does not know proxy.hold_first_token: 'on' and 'off' are the same Olla" | tee "$out/summary.txt"
fi

"$JAVA_HOME/bin/javac" -d "$out/classes" "$here/StreamLatency.java" "$here/HopLatency.java"
declare -A URL=(
  [direct]="http://127.0.0.1:$SIM_PORT/v1/chat/completions"
  [nginx]="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
)
for t in $OLLAS; do URL[$t]="http://127.0.0.1:${PORT[$t]}/olla/openai/v1/chat/completions"; done
stream() { # target conns seconds label -> RESULT line
  timeout $(( $3 + 60 )) taskset -c "$LOAD_CORE" "$JAVA" -cp "$out/classes" StreamLatency "${URL[$1]}" "$2" "$3" "$4" m1 "$TOKENS" \
    > "$out/stream-$4.txt" 2> "$out/stream-$4.err" || true
  grep '^RESULT' "$out/stream-$4.txt" || echo "RESULT $4 0 1 0 0 -1 -1 -1 -1 -1 -1"
}

echo "warm-up: $WARM s through each Olla" >&2
for t in $OLLAS; do stream "$t" 4 "$WARM" "warm-$t" > /dev/null; done

if [ "$MODE" = paired ]; then
  pairs=""
  ng=0; if [[ " $TARGETS " == *" nginx "* ]]; then ng=1; pairs="nginx:direct"; fi
  for e in $ENGINES; do
    pairs="$pairs,$e-on:$e-off,$e-on:direct,$e-off:direct"
    if [ $ng = 1 ]; then pairs="$pairs,$e-on:nginx,$e-off:nginx"; fi
    if [ -n "${OLLA_JAR_B:-}${OLLA_OPTS_B:-}" ]; then pairs="$pairs,$e-on-b:$e-on,$e-off-b:$e-off,$e-on-b:direct"; fi
  done
  args=()
  for t in $TARGETS; do args+=("$t=${URL[$t]}"); done
  echo "paired: $PAIRED_SECS s, one stream at a time over: $TARGETS" >&2
  ticks() { # utime + stime of a process and its children (nginx's worker), clock ticks
    local t=0 p
    for p in $1 $(pgrep -P "$1" 2>/dev/null); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
    echo $t
  }
  declare -A CPU0
  for t in $TARGETS; do if [ -n "${PID[$t]:-}" ]; then CPU0[$t]=$(ticks "${PID[$t]}"); fi; done
  timeout $(( PAIRED_SECS + 120 )) taskset -c "$LOAD_CORE" "$JAVA" -cp "$out/classes" HopLatency "$PAIRED_SECS" "$TOKENS" m1 \
    "${pairs#,}" "${args[@]}" > "$out/paired.txt" 2> "$out/paired.err" || true
  cycles=$(awk '/^RESULT/ { print $3; exit }' "$out/paired.txt")
  cpu_line="proxy CPU per stream (utime+stime / streams, whole process, ${cycles:-0} streams each):"
  for t in $TARGETS; do
    if [ -n "${PID[$t]:-}" ] && [ "${cycles:-0}" -gt 0 ]; then
      cpu_line="$cpu_line $t $(( ($(ticks "${PID[$t]}") - CPU0[$t]) * 1000000 / $(getconf CLK_TCK) / cycles )) us,"
    fi
  done
  load_after=$(load)
  {
    echo "hold bench, paired mode (engines: $ENGINES${OLLA_JAR_B:+; b = $OLLA_JAR_B}${OLLA_OPTS_B:+; b runs with $OLLA_OPTS_B}): TTFT (request written -> first content token read),"
    echo "microseconds; one client thread, one stream at a time, every target in turn; streams of $TOKENS deltas $PACE_MS ms apart,"
    echo "the first $FIRST_MS ms after the head; Olla and nginx on core $PROXY_CORE, simulator and client on core $LOAD_CORE;"
    echo "load average before: $load_before, after: $load_after ($(nproc) cores)"
    awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' \
      && echo "WARNING: the machine was busy (1-minute load ${load_before%% *} on $(nproc) cores): contention figures"
    echo
    grep -v '^RESULT\|^PAIR' "$out/paired.txt"
    echo "${cpu_line%,}"
    echo "  targets (issue 13: hold on - direct TTFT p99 < 200 us; issue 14: Olla - nginx TTFT p99 <= 250 us)"
    if [ -s "$out/paired.err" ]; then echo "client errors:"; head -5 "$out/paired.err"; fi
  } | tee -a "$out/summary.txt"
  echo "Results in $out" >&2
  exit 0
fi

: > "$out/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for t in $TARGETS; do
    read -r _ label streams errors incomplete stalls p50 p99 g50 g99 _ < <(stream "$t" "$CONNS" "$DUR" "$t-$r")
    echo "$t $r $streams $errors $incomplete $p50 $p99 $g50 $g99" | tee -a "$out/rounds.txt" >&2
  done
done
load_after=$(load)

{
  echo "hold bench (engines: $ENGINES): TTFT (request written -> first content token read) and gaps between tokens,"
  echo "microseconds; $CONNS connections, streams of $TOKENS deltas $PACE_MS ms apart, the first $FIRST_MS ms after the head;"
  echo "$ROUNDS rounds x $DUR s per target; Olla and nginx on core $PROXY_CORE, simulator and client on core $LOAD_CORE;"
  echo "load average before: $load_before, after: $load_after ($(nproc) cores)"
  awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' \
    && echo "WARNING: the machine was busy (1-minute load ${load_before%% *} on $(nproc) cores): contention figures, p99 is the scheduler's"
  echo
  printf '%-10s %8s %7s %6s  %-30s %-30s %-30s\n' target streams errors incompl "TTFT p50 per round" "TTFT p99 per round" "gap p99 per round"
  for t in $TARGETS; do
    awk -v t="$t" '$1 == t { s += $3; e += $4; i += $5; p50 = p50 " " $6; p99 = p99 " " $7; g99 = g99 " " $9 }
      END { printf "%-10s %8d %7d %6d  %-30s %-30s %-30s\n", t, s, e, i, p50, p99, g99 }' "$out/rounds.txt"
  done
  echo
  # best round per target: the lowest TTFT p99 (and that round's p50 and gap p99)
  echo "best round (lowest TTFT p99): TTFT p50 / p99, gap p99"
  for t in $TARGETS; do
    awk -v t="$t" '$1 == t && $7 >= 0 { print $6, $7, $9 }' "$out/rounds.txt" | sort -k2,2n | head -1 \
      | awk -v t="$t" '{ printf "  %-10s %6d / %6d us, gap p99 %6d us\n", t, $1, $2, $3 }'
  done
  echo
  # the differences per round (same pass, same load), median over the rounds
  echo "median over the rounds of the per-round difference (TTFT p50, TTFT p99, gap p99):"
  pairs=""
  ng=0; if [[ " $TARGETS " == *" nginx "* ]]; then ng=1; pairs="nginx,direct"; fi
  for e in $ENGINES; do
    pairs="$pairs $e-on,$e-off $e-on,direct $e-off,direct"
    if [ $ng = 1 ]; then pairs="$pairs $e-off,nginx $e-on,nginx"; fi
  done
  awk -v pairs="$pairs" '{ v[$1 "," $2 ",50"] = $6; v[$1 "," $2 ",99"] = $7; v[$1 "," $2 ",g"] = $9; if ($2 > n) n = $2 }
    function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    END {
      np = split(pairs, ps, " ")
      for (p = 1; p <= np; p++) {
        split(ps[p], ab, ",")
        line = sprintf("  %-24s", ab[1] " - " ab[2] ":")
        split("50 99 g", ms, " ")
        for (q = 1; q <= 3; q++) {
          for (r = 1; r <= n; r++) d[r] = v[ab[1] "," r "," ms[q]] - v[ab[2] "," r "," ms[q]]
          line = line sprintf(" %s %+6d us", (q == 1 ? "TTFT p50" : (q == 2 ? ", p99" : ", gap p99")), med(d, n))
        }
        print line
      }
      print "  targets (issue 13: hold on - direct TTFT p99 < 200 us; issue 14: Olla - nginx TTFT p99 <= 250 us, gap p99 <= 100 us)"
    }' "$out/rounds.txt"
} | tee -a "$out/summary.txt"
echo "Results in $out" >&2
