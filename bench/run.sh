#!/usr/bin/env bash
# Olla benchmark: both engines next to nginx, in one run, one summary table (issue 14's table).
#
#   bench/run.sh                 # ~4 minutes on an idle 2-core machine
#   bench/run.sh streams10k      # memory with 10,000 concurrent streams, both engines (~2 minutes)
#   bench/run.sh streams         # phase 4 alone (start, stream warm-up, streams; ~2 minutes)
#
# Every proxy (nginx, Olla with the olla engine, Olla with the sherpa engine) is pinned to core
# PROXY_CORE (0); the backends, wrk and the streaming client to LOAD_CORE (1). Olla is started
# exactly as users start it: `java -jar target/olla.jar -c <config>`, no JVM flags (it applies its
# own, see docs/operations.md#jvm-options). Phases, every run bounded by `timeout`:
#   0. start: time from `java -jar` to the first proxied answer (after one earlier run of the build,
#      which trains its class cache); idle RSS 10 s later.
#   1. warm-up: WARM (20) s of full-speed POSTs through each Olla (JIT), then
#   2. throughput: small non-streamed chat-completion POSTs, CONNS (64) connections, ROUNDS (2)
#      alternating rounds of DUR (8) s per target (direct, nginx, olla, sherpa), best round (noise only ever lowers throughput):
#      req/s and proxy CPU per request (utime+stime of the proxy's processes / requests);
#   3. one connection: wrk -c1 for DUR1 (6) s per target: p99 added over direct;
#   4. streams: STREAMS (512) concurrent streams of 64 deltas 20 ms apart from the simulator (the first
#      delta right after the head, FIRST_MS 0, so TTFT is the path and not the simulator's timer), after
#      STREAM_WARM (8) s of the same load through each proxy (JIT of the relay path), for STREAM_SECS (8) s,
#      direct and through each proxy: TTFT p99 and gap p99 added over direct, stalls (gap >= 250 ms),
#      incomplete streams; proxy CPU per relayed delta; peak RSS of each proxy during it; and the TTFT p99
#      without each connection's first stream (which also pays for the proxy's connection to the simulator).
#      Olla's connection cap is raised to the stream count. The client (bench/StreamLatency.java) is one
#      thread on one selector, so the client and the simulator share core LOAD_CORE without queuing.
# Needs wrk and nginx (installed with apt-get when missing), taskset, a JDK >= 21 (found
# automatically; builds target/olla.jar when needed). Uses 127.0.0.1 ports 18080-18095 only, stops
# everything it starts; results in bench/results/<timestamp>/ (summary.txt, raw outputs, logs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
. "$root/scripts/jdk.sh"
olla_find_jdk
JAVA="$JAVA_HOME/bin/java"
MODE="${1:-table}"
DUR="${DUR:-8}" DUR1="${DUR1:-6}" WARM="${WARM:-20}" ROUNDS="${ROUNDS:-2}"
PROXY_CORE="${PROXY_CORE:-0}" LOAD_CORE="${LOAD_CORE:-1}"
CONNS="${CONNS:-64}" STREAMS="${STREAMS:-512}" STREAM_SECS="${STREAM_SECS:-8}"
TOKENS="${TOKENS:-64}" PACE_MS="${PACE_MS:-20}" FIRST_MS="${FIRST_MS:-0}" STREAM_WARM="${STREAM_WARM:-8}"
STREAM_SPREAD_MS="${STREAM_SPREAD_MS:-0}"   # >0: the connections' first requests go out evenly over this time
BACKEND_PORT=18080 NGINX_PORT=18081 NGINX_STREAM_PORT=18084 SIM_PORT=18090
declare -A OLLA_PORT=([olla]=18082 [sherpa]=18083)
# proxy.max_connections_per_endpoint of the benched Ollas: every concurrent stream gets its own backend connection
POOL_CAP=$(( ${BIG_STREAMS:-10000} > STREAMS ? ${BIG_STREAMS:-10000} : STREAMS ))

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: installing $tool (apt-get)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx) >&2 \
      || { echo "bench: could not install $tool; apt-get install wrk nginx" >&2; exit 1; }
  fi
done
command -v taskset >/dev/null || { echo "bench: taskset missing (apt-get install util-linux)" >&2; exit 1; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$here/results/$stamp"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

JAR="${OLLA_JAR:-$root/target/olla.jar}"   # OLLA_JAR: benchmark another build (e.g. a copy of main's)
if [ -z "${OLLA_JAR:-}" ] && { [ ! -f "$JAR" ] || [ -n "$(find "$root/src/main" -newer "$JAR" -print -quit)" ]; }; then
  (cd "$root" && mvn -q -B -DskipTests -Dolla.image.skip=true package)
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
conf() { sed -e "s#@DIR@#$out#g" -e "s#@BACKEND_PORT@#$BACKEND_PORT#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" \
  -e "s#@NGINX_STREAM_PORT@#$NGINX_STREAM_PORT#g" -e "s#@SIM_PORT@#$SIM_PORT#g" "$here/$1" > "$out/$1"; }
# CPU ticks (utime+stime, 1/100 s) of a process and its children; resident KiB of the same
ticks() { local t=0 p; for p in "$@" $(for q in "$@"; do pgrep -P "$q" || true; done); do
  [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
rss_kb() { local t=0 p; for p in "$@" $(for q in "$@"; do pgrep -P "$q" || true; done); do
  [ -r "/proc/$p/status" ] && t=$((t + $(awk '/VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $t; }
CLK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- backends (load core)
conf nginx-backend.conf
taskset -c "$LOAD_CORE" nginx -c "$out/nginx-backend.conf" -p "$out" & pids+=($!)
SIM_TOKENS=$TOKENS SIM_PACE=$PACE_MS
if [ "$MODE" = streams10k ]; then SIM_TOKENS=${BIG_TOKENS:-16}; SIM_PACE=${BIG_PACE_MS:-500}; fi
taskset -c "$LOAD_CORE" "$JAVA" -cp "$JAR" dev.olla.sim.SimCli --flavor openai --host 127.0.0.1 \
  --port $SIM_PORT --tokens "$SIM_TOKENS" --delay-ms "$SIM_PACE" --first-token-delay-ms "$FIRST_MS" --models s1 \
  > "$out/sim.log" 2>&1 & pids+=($!)
wait_port $BACKEND_PORT; wait_port $SIM_PORT

# ---------------------------------------------------------------- proxies (proxy core)
conf nginx-proxy.conf
taskset -c "$PROXY_CORE" nginx -c "$out/nginx-proxy.conf" -p "$out" & nginx_pid=$!; pids+=($nginx_pid)
wait_port $NGINX_PORT
declare -A PID START_MS IDLE_RSS
PID[nginx]=$nginx_pid
post='{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
start_olla() {
  local engine="$1" port="${OLLA_PORT[$1]}"
  cat > "$out/olla-$engine.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
  request_logging: false
  rate_limits:                 # a load test from one IP is not abuse
    global_requests_per_minute: 0
    per_ip_requests_per_minute: 0
proxy:
  engine: $engine
  load_balancer: least-connections
  # the default cap (256 backend connections per endpoint) would queue every stream past the 256th
  # for a pool slot: phase 4 would measure the queue, not the hop (nginx caps nothing either)
  max_connections_per_endpoint: $POOL_CAP
discovery:
  static:
    endpoints:
      - name: backend          # nginx answering a fixed completion for model m1
        url: http://127.0.0.1:$BACKEND_PORT
        type: openai-compatible
      - name: sim              # the streaming simulator, model s1
        url: http://127.0.0.1:$SIM_PORT
        type: openai-compatible
  health_check:
    initial_delay: 0s
logging:
  level: warn
YAML
  local t0; t0=$(date +%s%N)
  (cd "$out" && exec taskset -c "$PROXY_CORE" "$JAVA" -jar "$JAR" -c "$out/olla-$engine.yaml") \
    > "$out/olla-$engine.log" 2>&1 &
  PID[$engine]=$!; pids+=(${PID[$engine]})
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$port/olla/openai/v1/chat/completions" \
      -H 'Content-Type: application/json' -d "$post" 2>/dev/null)" = 200 ] && break
    sleep 0.02
  done
  START_MS[$engine]=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# A build's first server run trains its class cache (Java 25+: the JVM saves an AOT cache when that
# run stops, docs/operations.md#jvm-options): one such run first, so the column shows a usual start.
start_olla olla; FIRST_RUN_MS=${START_MS[olla]}
kill "${PID[olla]}" 2>/dev/null || true; timeout 60 tail --pid="${PID[olla]}" -f /dev/null || true
start_olla olla
start_olla sherpa
sleep 10
for t in nginx olla sherpa; do IDLE_RSS[$t]=$(rss_kb "${PID[$t]}"); done
echo "started: olla engine first answer after ${START_MS[olla]} ms, sherpa ${START_MS[sherpa]} ms (this build's first run, which trains the class cache: ${FIRST_RUN_MS} ms); idle RSS nginx $((IDLE_RSS[nginx]/1024)) MB, olla $((IDLE_RSS[olla]/1024)) MB, sherpa $((IDLE_RSS[sherpa]/1024)) MB" | tee "$out/start.txt"

"$JAVA_HOME/bin/javac" -d "$out/classes" "$here/StreamLatency.java"
stream() { # url conns seconds label model -> RESULT line
  timeout $(( ${3} + 120 )) taskset -c "$LOAD_CORE" "$JAVA" -Xss256k -cp "$out/classes" StreamLatency "$1" "$2" "$3" "$4" "$5" "$SIM_TOKENS" 250 "$STREAM_SPREAD_MS" \
    > "$out/stream-$4.txt" 2> "$out/stream-$4.err" || true
  grep '^RESULT' "$out/stream-$4.txt" || echo "RESULT $4 0 1 0 0 -1 -1 -1 -1 -1 -1 0"
}
declare -A SURL=(
  [direct]="http://127.0.0.1:$SIM_PORT/v1/chat/completions"
  [nginx]="http://127.0.0.1:$NGINX_STREAM_PORT/v1/chat/completions"
  [olla]="http://127.0.0.1:${OLLA_PORT[olla]}/olla/openai/v1/chat/completions"
  [sherpa]="http://127.0.0.1:${OLLA_PORT[sherpa]}/olla/openai/v1/chat/completions"
)

if [ "$MODE" = streams10k ]; then
  n="${BIG_STREAMS:-10000}"
  echo "10k: $n concurrent streams, one each, $SIM_TOKENS deltas ${SIM_PACE} ms apart" | tee "$out/summary.txt"
  # a proxy holds two descriptors per stream (client and backend)
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * n + 1000)) ]; then
    echo "WARNING: open-file limit $(ulimit -n) < $((2 * n + 1000)): a proxy cannot hold $n streams here (raise ulimit -Hn)" | tee -a "$out/summary.txt"
  fi
  for t in ${BIG_TARGETS:-direct olla sherpa}; do   # direct: what the simulator and client manage alone
    peak=0
    stream "${SURL[$t]}" "$n" 0 "big-$t" s1 > "$out/big-$t.result" & sp=$!
    while kill -0 $sp 2>/dev/null; do
      if [ "$t" != direct ]; then r=$(rss_kb "${PID[$t]}"); [ "$r" -gt "$peak" ] && peak=$r; fi
      sleep 0.5
    done
    read -r _ label streams errors incomplete stalls _ _ _ _ < "$out/big-$t.result"
    echo "$t: streams=$streams errors=$errors incomplete=$incomplete stalls=$stalls peak RSS $((peak/1024)) MB (idle $((${IDLE_RSS[$t]:-0}/1024)) MB)" | tee -a "$out/summary.txt"
  done
  echo "Results in $out" >&2
  exit 0
fi

declare -A RPS CPU RSS_LOAD P1 TTFT GAP LATER STALLS INCOMPLETE ERRS PEAK DCPU TTFT50 GAP50
if [ "$MODE" != streams ]; then
# ---------------------------------------------------------------- throughput (64 connections)
declare -A URL=(
  [direct]="http://127.0.0.1:$BACKEND_PORT/v1/chat/completions"
  [nginx]="http://127.0.0.1:$NGINX_PORT/olla/openai/v1/chat/completions"
  [olla]="http://127.0.0.1:${OLLA_PORT[olla]}/olla/openai/v1/chat/completions"
  [sherpa]="http://127.0.0.1:${OLLA_PORT[sherpa]}/olla/openai/v1/chat/completions"
)
# wrk --latency output -> "requests rps p50_ms p99_ms non2xx"
run_wrk() {
  local url="$1" conns="$2" secs="$3"
  timeout $((secs + 30)) taskset -c "$LOAD_CORE" wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/post.lua" "$url" > "$out/wrk.tmp" 2>&1 || true
  awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/,"",v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/,"",v); return v+0 } if (v ~ /s$/) { sub(/s$/,"",v); return v*1000 } return v }
    / requests in / { req=$1 } /Requests\/sec/ { rps=$2 } / 50%/ { p50=ms($2) } / 99%/ { p99=ms($2) } /Non-2xx/ { bad=$NF }
    END { printf "%s %s %s %s %s\n", (req==""?0:req), (rps==""?0:rps), p50, p99, (bad==""?0:bad) }' "$out/wrk.tmp"
}
for t in olla sherpa; do run_wrk "${URL[$t]}" "$CONNS" "$WARM" > /dev/null; done
: > "$out/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for t in direct nginx olla sherpa; do
    c0=0; [ "$t" != direct ] && c0=$(ticks "${PID[$t]}")
    read -r req rps p50 p99 bad < <(run_wrk "${URL[$t]}" "$CONNS" "$DUR"); cp "$out/wrk.tmp" "$out/wrk-$t-$r.txt"
    cpu_us=0; [ "$t" != direct ] && cpu_us=$(awk -v a="$c0" -v b="$(ticks "${PID[$t]}")" -v n="$req" -v hz="$CLK" 'BEGIN { printf "%.1f", (n > 0 ? (b-a)/hz*1e6/n : 0) }')
    echo "$t $r $rps $cpu_us $p50 $p99 $bad" | tee -a "$out/rounds.txt"
  done
done
for t in direct nginx olla sherpa; do
  read -r RPS[$t] CPU[$t] < <(grep "^$t " "$out/rounds.txt" | sort -k3,3n | tail -1 | awk '{print $3, $4}')
  [ "$t" != direct ] && RSS_LOAD[$t]=$(rss_kb "${PID[$t]}")
done

# ---------------------------------------------------------------- one connection
: > "$out/one.txt"
for t in direct nginx olla sherpa; do
  read -r _ _ _ p99 _ < <(run_wrk "${URL[$t]}" 1 "$DUR1"); cp "$out/wrk.tmp" "$out/wrk1-$t.txt"
  P1[$t]=$p99; echo "$t $p99" >> "$out/one.txt"
done
fi

# ---------------------------------------------------------------- streams
# warm-up: the full stream load through every proxy (JIT of the Ollas' relay path: a few thousand deltas
# leave it interpreted or in C1; nginx and the simulator warm up too), so each proxy starts with idle upstream connections
for t in direct nginx olla sherpa; do stream "${SURL[$t]}" "$STREAMS" "$STREAM_WARM" "warm-$t" s1 > /dev/null; done
for t in direct nginx olla sherpa; do
  peak=0
  c0=0; [ "$t" != direct ] && c0=$(ticks "${PID[$t]}")
  stream "${SURL[$t]}" "$STREAMS" "$STREAM_SECS" "streams-$t" s1 > "$out/streams-$t.result" & sp=$!
  while kill -0 $sp 2>/dev/null; do
    if [ "$t" != direct ]; then r=$(rss_kb "${PID[$t]}"); [ "$r" -gt "$peak" ] && peak=$r; fi
    sleep 0.5
  done
  read -r _ _ _ ERRS[$t] INCOMPLETE[$t] STALLS[$t] TTFT50[$t] TTFT[$t] GAP50[$t] GAP[$t] _ LATER[$t] ntok < "$out/streams-$t.result"
  # proxy CPU (utime+stime) per delta it relayed; includes the request/answer work of each stream (1 in 64 deltas)
  DCPU[$t]=-; [ "$t" != direct ] && DCPU[$t]=$(awk -v a="$c0" -v b="$(ticks "${PID[$t]}")" -v n="${ntok:-0}" -v hz="$CLK" \
    'BEGIN { printf "%.1f", (n > 0 ? (b-a)/hz*1e6/n : 0) }')
  PEAK[$t]=$peak
done

# ---------------------------------------------------------------- summary
{
echo "Olla benchmark $stamp ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)); $("$JAVA" -version 2>&1 | head -1)"
echo "proxies on core $PROXY_CORE; backends, wrk and stream client on core $LOAD_CORE; Olla as \`java -jar target/olla.jar\`"
[ "$MODE" != streams ] && echo "throughput: $CONNS connections, best of $ROUNDS alternating ${DUR}s rounds after ${WARM}s warm-up; 1 connection: ${DUR1}s;"
echo "streams: $STREAMS concurrent, $TOKENS deltas ${PACE_MS} ms apart (first after ${FIRST_MS} ms), ${STREAM_SECS}s after ${STREAM_WARM}s warm-up; added = p99 through the proxy - p99 direct;"
echo "  Olla with proxy.max_connections_per_endpoint: $POOL_CAP (the default 256 would queue streams past the 256th)"
echo
if [ "$MODE" != streams ]; then
printf '| %-13s | %-16s | %-17s | %-14s | %-24s | %-8s | %-26s | %-11s |\n' "" "req/s (x nginx)" "CPU µs/req (x nginx)" "added p99 1 conn" "streams added TTFT/gap p99" "stalls" "RSS idle / load / streams" "first answer"
printf '|%s|\n' "---------------|------------------|----------------------|----------------|--------------------------|----------|----------------------------|-------------"
for t in direct nginx olla sherpa; do
  awk -v t="$t" -v rps="${RPS[$t]}" -v nrps="${RPS[nginx]}" -v cpu="${CPU[$t]}" -v ncpu="${CPU[nginx]}" \
      -v p1="${P1[$t]}" -v d1="${P1[direct]}" -v tt="${TTFT[$t]}" -v dtt="${TTFT[direct]}" -v g="${GAP[$t]}" -v dg="${GAP[direct]}" \
      -v st="${STALLS[$t]}" -v inc="${INCOMPLETE[$t]}" -v err="${ERRS[$t]}" \
      -v ri="${IDLE_RSS[$t]:-0}" -v rl="${RSS_LOAD[$t]:-0}" -v rp="${PEAK[$t]:-0}" -v sm="${START_MS[$t]:-}" 'BEGIN {
    name = (t == "olla" ? "olla engine" : (t == "sherpa" ? "sherpa engine" : t))
    r = sprintf("%.1fk (%.2fx)", rps/1000, nrps > 0 ? rps/nrps : 0)
    c = (t == "direct") ? "-" : sprintf("%.1f (%.2fx)", cpu, ncpu > 0 ? cpu/ncpu : 0)
    a = (t == "direct") ? sprintf("p99 %.2f ms", p1) : sprintf("+%.2f ms", p1 - d1)
    s = (t == "direct") ? sprintf("p99 %.2f / %.2f ms", tt/1000, g/1000) : sprintf("+%.2f / +%.2f ms", (tt-dtt)/1000, (g-dg)/1000)
    k = sprintf("%d (%d inc, %d err)", st, inc, err)
    m = (t == "direct") ? "-" : sprintf("%d / %d / %d MB", ri/1024, rl/1024, rp/1024)
    f = (sm == "") ? "-" : sprintf("%d ms", sm)
    printf "| %-13s | %-16s | %-20s | %-14s | %-24s | %-8s | %-26s | %-11s |\n", name, r, c, a, s, k, m, f
  }'
done
echo
fi
# the streams phase in detail: latencies in ms; added = through the proxy - direct (p99s, as in the table)
printf '| %-13s | %-17s | %-17s | %-22s | %-18s | %-18s | %-13s | %-8s |\n' "streams" "TTFT p50 / p99" "gap p50 / p99" "added TTFT / gap p99" "later TTFT p99" "stalls" "CPU µs/delta" "peak RSS"
printf '|%s|\n' "---------------|-------------------|-------------------|------------------------|--------------------|--------------------|---------------|----------"
for t in direct nginx olla sherpa; do
  awk -v t="$t" -v t50="${TTFT50[$t]}" -v tt="${TTFT[$t]}" -v g50="${GAP50[$t]}" -v g="${GAP[$t]}" -v dtt="${TTFT[direct]}" \
      -v dg="${GAP[direct]}" -v l="${LATER[$t]}" -v dl="${LATER[direct]}" -v st="${STALLS[$t]}" -v inc="${INCOMPLETE[$t]}" \
      -v err="${ERRS[$t]}" -v cpu="${DCPU[$t]}" -v rp="${PEAK[$t]:-0}" 'BEGIN {
    name = (t == "olla" ? "olla engine" : (t == "sherpa" ? "sherpa engine" : t))
    a = (t == "direct") ? "-" : sprintf("%+.2f / %+.2f", (tt-dtt)/1000, (g-dg)/1000)
    lt = (t == "direct") ? sprintf("%.2f", l/1000) : sprintf("%.2f (%+.2f)", l/1000, (l-dl)/1000)
    printf "| %-13s | %-17s | %-17s | %-22s | %-18s | %-18s | %-13s | %-8s |\n", name, sprintf("%.2f / %.2f", t50/1000, tt/1000),
      sprintf("%.2f / %.2f", g50/1000, g/1000), a, lt, sprintf("%d (%d inc, %d err)", st, inc, err), cpu,
      (t == "direct" ? "-" : sprintf("%d MB", rp/1024))
  }'
done
echo
# each connection's first stream also pays for the connection (512 set up at once); the later ones show the steady hop
awk -v d="${LATER[direct]}" -v n="${LATER[nginx]}" -v o="${LATER[olla]}" -v s="${LATER[sherpa]}" 'BEGIN {
  printf "streams, TTFT p99 without each connection'"'"'s first stream: direct %.2f ms; added: nginx +%.2f, olla engine +%.2f, sherpa engine +%.2f ms\n",
    d/1000, (n-d)/1000, (o-d)/1000, (s-d)/1000 }'
} | tee "$out/summary.txt"
echo "Results in $out" >&2
