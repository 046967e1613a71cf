# The preamble the bench/*.sh scripts share; sourced, never run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
#
# Sets `here` (bench/), `root` (the checkout), JAVA_HOME and JAVA (a JDK >= 21, found by scripts/jdk.sh) and
# an empty `pids` array, and installs an EXIT trap that stops every process recorded in `pids` (a script
# with more to clean up sets bench_cleanup_extra to a function name). Then offers:
#   bench_results NAME      out=bench/results/NAME-<UTC stamp>, created; stamp= the stamp
#   bench_jar [mvn args]    JAR=$OLLA_JAR, or target/olla.jar built first when missing or older than src/main
#   wait_port PORT [TRIES]  until 127.0.0.1:PORT accepts connections (TRIES x 0.1 s, default 200); 1 if never
#   free_ports N            the first of N consecutive free ports on 127.0.0.1, below 32768
#   need_ports BASE N       exits (2) when any of 127.0.0.1:BASE..BASE+N-1 is taken (another run on this
#                           machine would get this run's load, and this one its answers): set PORT_BASE
#   proc_ticks PID...       CPU clock ticks (utime + stime) of the processes and their children
#   load_average            the 1, 5 and 15 minute load averages
# Benchmarks taken on a loaded machine measure contention: print load_average with every figure.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
. "$root/scripts/jdk.sh"
olla_find_jdk
JAVA="$JAVA_HOME/bin/java"

pids=()
bench_cleanup_extra=""
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$bench_cleanup_extra" ] || "$bench_cleanup_extra" || true
}
trap bench_cleanup EXIT

bench_results() {
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  out="$here/results/$1-$stamp"
  mkdir -p "$out"
}

bench_jar() {
  JAR="${OLLA_JAR:-$root/target/olla.jar}"
  if [ -z "${OLLA_JAR:-}" ] && { [ ! -f "$JAR" ] || [ -n "$(find "$root/src/main" -newer "$JAR" -print -quit)" ]; }; then
    (cd "$root" && mvn -q -B -DskipTests "$@" package)
  fi
}

wait_port() {
  local _
  for _ in $(seq 1 "${2:-200}"); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 never opened" >&2
  return 1
}

free_ports() {
  local _ p i ok
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000)) ok=1
    for ((i = 0; i < $1; i++)); do
      (exec 3<>/dev/tcp/127.0.0.1/$((p + i))) 2>/dev/null && { ok=0; break; }
    done
    [ $ok = 1 ] && { echo "$p"; return 0; }
  done
  return 1
}

need_ports() {
  local i
  for ((i = 0; i < $2; i++)); do
    if (exec 3<>/dev/tcp/127.0.0.1/$(($1 + i))) 2>/dev/null; then
      echo "port $(($1 + i)) is in use (another benchmark running?): wait, or set PORT_BASE to another free block" >&2
      exit 2
    fi
  done
}

proc_ticks() {
  local t=0 p
  for p in "$@" $(for q in "$@"; do pgrep -P "$q" || true; done); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat")))
  done
  echo $t
}

load_average() {
  cut -d' ' -f1-3 /proc/loadavg
}
