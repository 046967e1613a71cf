#!/usr/bin/env bash
# What loads before the first request, and what an idle Olla holds (about 30 s):
#
#   bench/startup.sh            # OLLA_JAR=path for another build, ENGINE=sherpa, EXTRA="jvm options"
#   bench/startup.sh starts     # N (3) starts as users start it: `java -jar olla.jar` with no flags
#                               # (relaunch, class-data archive), or IMAGE=dir: dir/bin/olla; per start
#                               # the wall and CPU time to the first proxied answer, the CPU of the
#                               # main thread and the JIT compilers by then, idle RSS IDLE (8) s later.
#                               # PIN=1 pins Olla to core 0 (as bench/run.sh does); EXTRA adds options.
#
# Starts Olla with its own JVM options given explicitly (so without the class-data archive) plus
# -Xlog:class+load and native memory tracking, next to an nginx backend (port 18500-18501, PORT_BASE); prints
# the wall and CPU time to the first proxied answer, the classes loaded by then, idle resident
# memory and threads 8 s later, the NMT summary and the classes by package.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
JAR=${OLLA_JAR:-$root/target/olla.jar}; B=${PORT_BASE:-18500}; need_ports $B 2; bench_results startup
sed -e "s#@DIR@#$out#g" -e "s#@BACKEND_PORT@#$B#g" $here/nginx-backend.conf > "$out"/nb.conf
taskset -c 1 nginx -c "$out"/nb.conf -p $out & pids+=($!)
cat > "$out"/o.yaml <<YAML
server: {host: 127.0.0.1, port: $((B+1)), request_logging: false}
proxy: {engine: ${ENGINE:-olla}}
discovery: {static: {endpoints: [{name: backend, url: "http://127.0.0.1:$B", type: openai-compatible}]}, health_check: {initial_delay: 0s}}
logging: {level: warn}
YAML
post='{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
answered() { [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 http://127.0.0.1:$((B+1))/olla/openai/v1/chat/completions -H 'Content-Type: application/json' -d "$post")" = 200 ]; }
if [ "${1:-}" = starts ]; then
  pin=""; [ -n "${PIN:-}" ] && pin="taskset -c 0"
  for i in $(seq 1 "${N:-3}"); do
    t0=$(date +%s%N)
    if [ -n "${IMAGE:-}" ]; then (cd $out && exec $pin "$IMAGE/bin/olla" -c "$out"/o.yaml) > "$out"/o$i.log 2>&1 & op=$!
    else (cd $out && exec $pin $JAVA ${EXTRA:-} -jar $JAR -c "$out"/o.yaml) > "$out"/o$i.log 2>&1 & op=$!; fi
    for _ in $(seq 1 1500); do answered && break; sleep 0.02; done
    t1=$(date +%s%N); cpu=$(awk '{print $14+$15}' /proc/$op/stat)
    # CPU per thread (comm may hold spaces: utime/stime are fields NF-38/NF-37 from the end)
    th=$(for t in /proc/$op/task/*; do printf '%s=%d\n' "$(tr -d ' ' < $t/comm)" "$(awk '{print ($(NF-38)+$(NF-37))*10}' $t/stat)"; done \
      | awk -F= '$1=="java"{m+=$2} $1~/^C1Compiler/{c1+=$2} $1~/^C2Compiler/{c2+=$2} END{printf "main %d, C1 %d, C2 %d ms (compiler threads that ended are not counted)", m, c1, c2}')
    sleep "${IDLE:-8}"
    echo "start $i: first answer after $(( (t1-t0)/1000000 )) ms wall, $((cpu*10)) ms CPU ($th); idle RSS $(awk '/VmRSS/{print $2/1024}' /proc/$op/status) MB; load $(cut -d' ' -f1 /proc/loadavg)"
    kill $op; wait $op 2>/dev/null
  done
  exit 0
fi
t0=$(date +%s%N)
(cd $out && exec $JAVA $(olla_java_flags) ${EXTRA:-} -XX:NativeMemoryTracking=summary -Xlog:class+load=info:file="$out"/cl.txt -jar $JAR -c "$out"/o.yaml) > "$out"/o.log 2>&1 & op=$!; pids+=($op)
for _ in $(seq 1 600); do answered && break; sleep 0.05; done
t1=$(date +%s%N); cpu=$(awk '{print $14+$15}' /proc/$op/stat)
echo "first answer after $(( (t1-t0)/1000000 )) ms wall, $((cpu*10)) ms CPU; classes loaded by then: $(grep -c . "$out"/cl.txt)"
sleep 8
echo "idle RSS $(awk '/VmRSS/{print $2/1024}' /proc/$op/status) MB; threads $(ls /proc/$op/task | wc -l)"
$JAVA_HOME/bin/jcmd $op VM.native_memory summary > "$out"/nmt.txt; $JAVA_HOME/bin/jcmd $op Thread.print > "$out"/threads.txt
grep -E "^Total|^-  +[A-Z]|committed=" "$out"/nmt.txt | grep -E "Total|^-" | sed 's/(reserved=[0-9]*KB, //' | head -30
awk '{print $2}' "$out"/cl.txt | sed -E 's/\$.*//' | awk -F. '{ if ($1=="io"||$1=="org"||$1=="com"||$1=="dev"||$1=="ch"||$1=="net") print $1"."$2"."$3; else print $1"."$2 }' | sort | uniq -c | sort -rn | head -25
