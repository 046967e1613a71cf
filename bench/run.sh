#!/usr/bin/env bash
# Olla benchmark: small non-streaming POSTs through Olla (olla and sherpa engines) versus straight
# to the backend and versus nginx as a reverse proxy, in one run; then streaming latency (time to
# first token and inter-token gaps) through Olla versus direct.
#
#   bench/run.sh [SECONDS=15] [WARMUP_SECONDS=20]
#
# Every proxy runs pinned to the same core (PROXY_CORE, default 0); wrk, the backend and the
# streaming client run on the other (LOAD_CORE, default 1). Each proxy gets a JIT warm-up first.
# Needs: wrk and nginx (Debian: apt-get install wrk nginx), a JDK >= 21 (found automatically).
# Uses only 127.0.0.1 and ports 18080-18095; stops everything it starts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
. "$root/scripts/jdk.sh"
olla_find_jdk
JAVA="$JAVA_HOME/bin/java"
OLLA_JAVA_FLAGS="$(olla_java_flags)"
DUR="${1:-15}"
WARM="${2:-20}"
PROXY_CORE="${PROXY_CORE:-0}"
LOAD_CORE="${LOAD_CORE:-1}"
CONNS="${CONNS:-64}"
PACE_MS="${BENCH_PACE_MS:-20}"
STREAM_CONNS="${STREAM_CONNS:-16}"
BACKEND_PORT=18080 NGINX_PORT=18081 OLLA_PORT=18082 SIM_PORT=18090
for tool in wrk nginx taskset; do
  command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (apt-get install wrk nginx util-linux)" >&2; exit 1; }
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$here/results/$stamp"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

if [ ! -f "$root/target/olla.jar" ] || [ -n "$(find "$root/src/main" -newer "$root/target/olla.jar" -print -quit)" ]; then
  (cd "$root" && mvn -q -B -DskipTests package)
fi

wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
conf() { sed -e "s#@DIR@#$out#g" -e "s#@BACKEND_PORT@#$BACKEND_PORT#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" "$here/$1" > "$out/$1"; }

# ---------------------------------------------------------------- backend (nginx, load core)
conf nginx-backend.conf
taskset -c "$LOAD_CORE" nginx -c "$out/nginx-backend.conf" -p "$out" & pids+=($!)
wait_port $BACKEND_PORT

summary="$out/summary.txt"
echo "Olla benchmark $stamp: ${CONNS} connections, median of ${ROUNDS:-3} alternating ${DUR}s rounds after ${WARM}s warm-up each; proxies on core $PROXY_CORE, wrk + backend on core $LOAD_CORE" | tee "$summary"
printf '%-14s %12s %10s %10s %10s   %s\n' target req/s p50_ms p99_ms paced_p99 "(paced: ${CONNS} conns x ${PACE_MS}ms pause)" | tee -a "$summary"

# wrk's --latency output -> "rps p50 p99" (ms)
run_wrk() {
  local url="$1" script="$2" secs="$3"
  BENCH_PACE_MS=$PACE_MS taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNS" -d"${secs}s" --latency -s "$here/$script" "$url" > "$out/wrk.tmp" 2>&1 || true
  awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/,"",v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/,"",v); return v+0 } if (v ~ /s$/) { sub(/s$/,"",v); return v*1000 } return v }
    /Requests\/sec/ { rps=$2 } / 50%/ { p50=ms($2) } / 99%/ { p99=ms($2) } /Non-2xx/ { non2xx=$NF }
    END { printf "%s %s %s %s\n", rps, p50, p99, (non2xx==""?0:non2xx) }' "$out/wrk.tmp"
}

start_olla() {
  local engine="$1" backend_url="$2" health="$3"
  cat > "$out/olla-$engine-$OLLA_PORT.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $OLLA_PORT
  request_logging: false
  rate_limits:                 # a load test from one IP is not abuse
    global_requests_per_minute: 0
    per_ip_requests_per_minute: 0
proxy:
  engine: $engine
  load_balancer: least-connections
discovery:
  static:
    endpoints:
      - name: backend
        url: $backend_url
        type: openai-compatible
        health_check_url: $health
  health_check:
    initial_delay: 0s
logging:
  level: warn
YAML
  taskset -c "$PROXY_CORE" "$JAVA" -Xms256m -Xmx256m -XX:+UseSerialGC $OLLA_JAVA_FLAGS \
    -jar "$root/target/olla.jar" -c "$out/olla-$engine-$OLLA_PORT.yaml" > "$out/olla-$engine-$OLLA_PORT.log" 2>&1 &
  olla_pid=$!; pids+=($olla_pid)
  wait_port $OLLA_PORT
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------- throughput and added latency
# All three proxies run at once on the proxy core (idle ones cost nothing); after each one's JIT
# warm-up they are measured in alternating rounds and the median round is reported, because a
# shared machine drifts over minutes.
ROUNDS="${ROUNDS:-3}"
conf nginx-proxy.conf
taskset -c "$PROXY_CORE" nginx -c "$out/nginx-proxy.conf" -p "$out" & pids+=($!)
wait_port $NGINX_PORT
OLLA_PORT=18082; start_olla olla "http://127.0.0.1:$BACKEND_PORT" "http://127.0.0.1:$BACKEND_PORT/health"
OLLA_PORT=18083; start_olla sherpa "http://127.0.0.1:$BACKEND_PORT" "http://127.0.0.1:$BACKEND_PORT/health"
declare -A URL=(
  [direct]="http://127.0.0.1:$BACKEND_PORT/v1/chat/completions"
  [nginx]="http://127.0.0.1:$NGINX_PORT/olla/openai/v1/chat/completions"
  [olla-olla]="http://127.0.0.1:18082/olla/openai/v1/chat/completions"
  [olla-sherpa]="http://127.0.0.1:18083/olla/openai/v1/chat/completions"
)
targets="direct nginx olla-olla olla-sherpa"
for t in $targets; do run_wrk "${URL[$t]}" post.lua "$WARM" > /dev/null; done
: > "$out/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for t in $targets; do
    read -r rps p50 p99 bad < <(run_wrk "${URL[$t]}" post.lua "$DUR"); cp "$out/wrk.tmp" "$out/wrk-$t-$r.txt"
    read -r _ _ pp99 pbad < <(run_wrk "${URL[$t]}" paced.lua "$DUR"); cp "$out/wrk.tmp" "$out/wrk-$t-$r-paced.txt"
    echo "$t $r $rps $p50 $p99 $pp99 $bad $pbad" >> "$out/rounds.txt"
  done
done
# median of the rounds per target (by req/s; its latencies alongside)
for t in $targets; do
  grep "^$t " "$out/rounds.txt" | sort -k3,3n | awk -v n="$ROUNDS" 'NR==int((n+1)/2) {printf "%-14s %12s %10s %10s %10s   non-2xx=%s/%s\n", $1, $3, $4, $5, $6, $7, $8; print $1, $3, $4, $5, $6 > "/dev/stderr"}' 2>> "$out/raw.txt" | tee -a "$summary"
done
for p in "${pids[@]}"; do [ "$p" != "${pids[0]}" ] && stop_pid "$p"; done
pids=("${pids[0]}")
OLLA_PORT=18082

# ---------------------------------------------------------------- streaming latency
echo | tee -a "$summary"
echo "Streaming: ${STREAM_CONNS} concurrent streams of 50 tokens, 10 ms apart (simulated backend on core $LOAD_CORE)" | tee -a "$summary"
taskset -c "$LOAD_CORE" "$JAVA" -cp "$root/target/olla.jar" dev.olla.sim.SimCli --flavor openai --host 127.0.0.1 \
  --port $SIM_PORT --tokens 50 --delay-ms 10 --models m1 > "$out/sim.log" 2>&1 & sim_pid=$!; pids+=($sim_pid)
wait_port $SIM_PORT
stream() { taskset -c "$LOAD_CORE" "$JAVA" "$here/StreamLatency.java" "$1" "$STREAM_CONNS" "$2" "$3" | tee -a "$summary"; }
stream "http://127.0.0.1:$SIM_PORT/v1/chat/completions" 5 warmup-direct > /dev/null
stream "http://127.0.0.1:$SIM_PORT/v1/chat/completions" "$DUR" direct
for engine in olla sherpa; do
  start_olla $engine "http://127.0.0.1:$SIM_PORT" "http://127.0.0.1:$SIM_PORT/health"
  stream "http://127.0.0.1:$OLLA_PORT/olla/openai/v1/chat/completions" "$WARM" "warmup" > /dev/null
  stream "http://127.0.0.1:$OLLA_PORT/olla/openai/v1/chat/completions" "$DUR" "olla-$engine"
  stop_pid $olla_pid
done

# ---------------------------------------------------------------- verdict
echo | tee -a "$summary"
awk -v pace="$PACE_MS" '
  { rps[$1]=$2; p99[$1]=$4; paced[$1]=$5 }
  END {
    n = rps["nginx"];
    for (e in rps) if (e ~ /^olla-/) {
      printf "%s: %.0f%% of nginx req/s; paced p99 added vs direct: %.2f ms (nginx adds %.2f ms)\n", e, 100*rps[e]/n, paced[e]-paced["direct"], paced["nginx"]-paced["direct"]
    }
  }' "$out/raw.txt" | tee -a "$summary"
echo "Results in $out" >&2
