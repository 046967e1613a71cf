#!/usr/bin/env bash
# A/B of two Olla builds or JVM option sets, side by side (about 2.5 minutes):
#
#   JAR_A=/tmp/main.jar JAR_B=target/olla.jar bench/ab.sh
#   OPTS_A=-Dio.netty.allocator.type=adaptive OPTS_B=-Dio.netty.allocator.type=pooled bench/ab.sh
#
# Both instances run pinned to core 0 (nginx backend and wrk on core 1), with Olla's own JVM
# options (OPTS_x, when set, are added to them explicitly); after 12 s of warm-up each, ROUNDS (4)
# alternating DUR (8) s rounds of wrk -c64 report req/s and CPU µs per request per round, then the
# medians. On a busy machine compare only A and B of the same run. ENGINE=olla|sherpa. Ports 18490-18492 (PORT_BASE).
# TOGETHER=1 loads A and B at the same time (wrk -c32 each) instead of in turn: both see the same
# moments of a shared machine's load, so their CPU µs/request stay comparable when the load swings.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
ENGINE=${ENGINE:-olla}; ROUNDS=${ROUNDS:-4}; DUR=${DUR:-8}; B=${PORT_BASE:-18490}; need_ports $B 3
bench_results ab
sed -e "s#@DIR@#$out#g" -e "s#@BACKEND_PORT@#$B#g" $here/nginx-backend.conf > $out/nb.conf
taskset -c 1 nginx -c $out/nb.conf -p $out & pids+=($!)
declare -A PORT=([A]=$((B+1)) [B]=$((B+2))) PID c0
for t in A B; do
  jar=JAR_$t; opts=OPTS_$t; jar=${!jar:-$root/target/olla.jar}; opts=${!opts:-}
  cat > $out/$t.yaml <<YAML
server: {host: 127.0.0.1, port: ${PORT[$t]}, request_logging: false, rate_limits: {global_requests_per_minute: 0, per_ip_requests_per_minute: 0}}
proxy: {engine: $ENGINE, load_balancer: least-connections}
discovery: {static: {endpoints: [{name: backend, url: "http://127.0.0.1:$B", type: openai-compatible}]}, health_check: {initial_delay: 0s}}
logging: {level: warn}
YAML
  if [ -n "$opts" ]; then (cd $out && exec taskset -c 0 $JAVA $(olla_java_flags) $opts -jar $jar -c $out/$t.yaml) > $out/$t.log 2>&1 &
  else (cd $out && exec taskset -c 0 $JAVA -jar $jar -c $out/$t.yaml) > $out/$t.log 2>&1 & fi
  PID[$t]=$!; pids+=($!)
done
post='{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
for t in A B; do for _ in $(seq 1 400); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 http://127.0.0.1:${PORT[$t]}/olla/openai/v1/chat/completions -H 'Content-Type: application/json' -d "$post")" = 200 ] && break; sleep 0.1; done; done
for t in A B; do taskset -c 1 wrk -t1 -c64 -d12s -s $here/post.lua http://127.0.0.1:${PORT[$t]}/olla/openai/v1/chat/completions > /dev/null; done
echo "A: ${JAR_A:-target/olla.jar} ${OPTS_A:-}; B: ${JAR_B:-target/olla.jar} ${OPTS_B:-}; engine $ENGINE; load $(load_average)"
if [ "${TOGETHER:-0}" = 1 ]; then
  # both at once (wrk -c32 each): A and B share every moment of the machine's load, so a busy machine
  # shifts both alike; compare CPU µs/request (req/s is split between the two)
  for r in $(seq 1 $ROUNDS); do
    for t in A B; do c0[$t]=$(proc_ticks ${PID[$t]}); done
    wp=(); for t in A B; do taskset -c 1 wrk -t1 -c32 -d${DUR}s -s $here/post.lua http://127.0.0.1:${PORT[$t]}/olla/openai/v1/chat/completions > $out/w$t.txt 2>&1 & wp+=($!); done
    wait "${wp[@]}"
    for t in A B; do
      c1=$(proc_ticks ${PID[$t]}); n=$(awk '/requests in/{print $1}' $out/w$t.txt); rps=$(awk '/Requests\/sec/{print $2}' $out/w$t.txt)
      echo "$t $r $rps $(awk -v a=${c0[$t]} -v b=$c1 -v n=$n 'BEGIN{printf "%.1f", (b-a)*10000/n}')" | tee -a $out/rounds.txt
    done
  done
else
for r in $(seq 1 $ROUNDS); do for t in A B; do
  c0=$(proc_ticks ${PID[$t]})
  taskset -c 1 wrk -t1 -c64 -d${DUR}s -s $here/post.lua http://127.0.0.1:${PORT[$t]}/olla/openai/v1/chat/completions > $out/w.txt 2>&1
  c1=$(proc_ticks ${PID[$t]}); n=$(awk '/requests in/{print $1}' $out/w.txt); rps=$(awk '/Requests\/sec/{print $2}' $out/w.txt)
  echo "$t $r $rps $(awk -v a=$c0 -v b=$c1 -v n=$n 'BEGIN{printf "%.1f", (b-a)*10000/n}')" | tee -a $out/rounds.txt
done; done
fi
for t in A B; do echo "$t median req/s $(grep "^$t " $out/rounds.txt | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') median CPU us/req $(grep "^$t " $out/rounds.txt | awk '{print $4}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') min CPU $(grep "^$t " $out/rounds.txt | awk '{print $4}' | sort -n | head -1)"; done
echo "load $(load_average); $out"
