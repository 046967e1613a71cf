#!/usr/bin/env bash
# Where Olla's CPU goes per request: one engine under wrk next to nginx, then a JFR CPU profile.
#
#   bench/profile.sh [olla|sherpa] [conns]     # ~1 minute
#
# Olla (`java -jar target/olla.jar`, no flags: its own JVM options apply) and nginx (the reference
# proxy) are pinned to core PROXY_CORE (0); the nginx backend and wrk to LOAD_CORE (1). After WARM
# (15) s of warm-up, ROUNDS (2) alternating DUR (8) s rounds of small non-streamed POSTs through
# nginx and Olla report req/s and proxy CPU µs per request (utime+stime / requests); the best
# round counts. Then a JFR recording (settings=profile, execution samples every 1 ms) is taken
# over one more round and summarised by bench/JfrTop.java (cost centres inclusive, top methods).
# Also `wrk -c1` p50/p99 per target (PROFILE_C1=0 skips it). OLLA_JAR benchmarks another build.
# Uses 127.0.0.1 ports 18460-18464 (PORT_BASE); results in bench/results/profile-<timestamp>/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
ENGINE="${1:-olla}" CONNS="${2:-64}"
DUR="${DUR:-8}" WARM="${WARM:-15}" ROUNDS="${ROUNDS:-2}" PROXY_CORE="${PROXY_CORE:-0}" LOAD_CORE="${LOAD_CORE:-1}"
B=${PORT_BASE:-18460}; BACKEND_PORT=$B NGINX_PORT=$((B+1)) OLLA_PORT=$((B+2))
need_ports $B 5
bench_results "profile-$ENGINE"
JAR="${OLLA_JAR:-$root/target/olla.jar}"
[ -f "$JAR" ] || (cd "$root" && mvn -q -B -DskipTests -Dolla.image.skip=true package)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
CLK=$(getconf CLK_TCK)
conf() { sed -e "s#@DIR@#$out#g" -e "s#@BACKEND_PORT@#$BACKEND_PORT#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" \
  -e "s#@NGINX_STREAM_PORT@#$((B+3))#g" -e "s#@SIM_PORT@#$((B+4))#g" "$here/$1" > "$out/$1"; }

conf nginx-backend.conf; conf nginx-proxy.conf
taskset -c "$LOAD_CORE" nginx -c "$out/nginx-backend.conf" -p "$out" & pids+=($!)
taskset -c "$PROXY_CORE" nginx -c "$out/nginx-proxy.conf" -p "$out" & nginx_pid=$!; pids+=($nginx_pid)
wait_port $BACKEND_PORT 300; wait_port $NGINX_PORT 300
cat > "$out/olla.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $OLLA_PORT
  request_logging: false
  rate_limits:
    global_requests_per_minute: 0
    per_ip_requests_per_minute: 0
proxy:
  engine: $ENGINE
  load_balancer: least-connections
discovery:
  static:
    endpoints:
      - name: backend
        url: http://127.0.0.1:$BACKEND_PORT
        type: openai-compatible
  health_check:
    initial_delay: 0s
logging:
  level: warn
YAML
(cd "$out" && exec taskset -c "$PROXY_CORE" "$JAVA" -jar "$JAR" -c "$out/olla.yaml") > "$out/olla.log" 2>&1 &
olla_pid=$!; pids+=($olla_pid)
post='{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
url_olla="http://127.0.0.1:$OLLA_PORT/olla/openai/v1/chat/completions"
url_nginx="http://127.0.0.1:$NGINX_PORT/olla/openai/v1/chat/completions"
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$url_olla" -H 'Content-Type: application/json' -d "$post" 2>/dev/null)" = 200 ] && break
  sleep 0.05
done
run_wrk() { # url conns secs -> "requests rps p50_ms p99_ms"
  timeout $(($3 + 30)) taskset -c "$LOAD_CORE" wrk -t1 -c"$2" -d"${3}s" --latency -s "$here/post.lua" "$1" > "$out/wrk.tmp" 2>&1 || true
  awk 'function ms(v) { if (v ~ /us$/) { sub(/us$/,"",v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/,"",v); return v+0 } if (v ~ /s$/) { sub(/s$/,"",v); return v*1000 } return v }
    / requests in / { req=$1 } /Requests\/sec/ { rps=$2 } / 50%/ { p50=ms($2) } / 99%/ { p99=ms($2) } /Non-2xx/ { bad=$NF }
    END { printf "%s %s %s %s %s\n", (req==""?0:req), (rps==""?0:rps), p50, p99, (bad==""?0:bad) }' "$out/wrk.tmp"
}
run_wrk "$url_olla" "$CONNS" "$WARM" > /dev/null
declare -A PIDOF=([nginx]=$nginx_pid [olla]=$olla_pid) URL=([nginx]=$url_nginx [olla]=$url_olla)
: > "$out/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for t in nginx olla; do
    c0=$(proc_ticks "${PIDOF[$t]}")
    read -r req rps p50 p99 bad < <(run_wrk "${URL[$t]}" "$CONNS" "$DUR")
    cpu=$(awk -v a="$c0" -v b="$(proc_ticks "${PIDOF[$t]}")" -v n="$req" -v hz="$CLK" 'BEGIN { printf "%.1f", (n > 0 ? (b-a)/hz*1e6/n : 0) }')
    echo "$t $r $rps $cpu $p50 $p99 $bad" | tee -a "$out/rounds.txt"
  done
done
best() { grep "^$1 " "$out/rounds.txt" | sort -k3,3n | tail -1; }
read -r _ _ nrps ncpu _ _ _ < <(best nginx); read -r _ _ orps ocpu _ _ obad < <(best olla)
c1=""
if [ "${PROFILE_C1:-1}" = 1 ]; then
  for t in nginx olla; do read -r _ _ p50 p99 _ < <(run_wrk "${URL[$t]}" 1 "$DUR"); c1="$c1 $t p50 ${p50} ms p99 ${p99} ms;"; done
fi
"$JAVA_HOME/bin/jcmd" "$olla_pid" JFR.start name=p settings=profile jdk.ExecutionSample#period=1ms filename="$out/olla.jfr" > /dev/null
run_wrk "$url_olla" "$CONNS" "$DUR" > /dev/null
"$JAVA_HOME/bin/jcmd" "$olla_pid" JFR.stop name=p > /dev/null
{
  echo "profile $ENGINE engine, $CONNS connections, $(date -u +%FT%TZ), load average $(load_average)"
  awk -v e="$ENGINE" -v n="$nrps" -v nc="$ncpu" -v o="$orps" -v oc="$ocpu" -v bad="$obad" 'BEGIN {
    printf "nginx %.0f req/s %.1f us/req; olla(%s engine) %.0f req/s (%.2fx) %.1f us/req (%.2fx) non-2xx %s\n", n, nc, e, o, o/n, oc, oc/nc, bad }'
  [ -n "$c1" ] && echo "wrk -c1:$c1"
  "$JAVA" "$here/JfrTop.java" "$out/olla.jfr" "${TOP:-25}"
} | tee "$out/summary.txt"
echo "Results in $out" >&2
