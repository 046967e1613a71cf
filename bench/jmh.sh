#!/usr/bin/env bash
# JMH micro-benchmarks of the hot functions of the request path (src/jmh/java), not part of
# `mvn verify` or ./run-tests:
#
#   bench/jmh.sh                      # every benchmark, short runs (~1 minute per class)
#   bench/jmh.sh TokenMeterBench      # a regex of benchmark names; further arguments go to JMH
#
# Builds target/classes when needed, asks Maven's `jmh` profile for the class path (JMH 1.37, test
# scope), compiles the benchmarks into target/jmh-classes with JMH's annotation processor, and runs
# them: 1 fork, 3 x 1 s warm-up, 5 x 1 s measurement unless overridden (e.g. -wi 5 -i 10 -f 2;
# -prof gc adds bytes allocated per op). Each benchmark also prints "CPU/op <name> <ns>": thread CPU
# time per op (dev.olla.CpuPerOp), which on a shared machine is steadier than the wall-clock score.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
cd "$root"
mvn -q -B -DskipTests compile
mvn -q -B -Pjmh dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath >/dev/null
cp="target/classes:$(cat target/jmh.classpath)"
rm -rf target/jmh-classes && mkdir -p target/jmh-classes
"$JAVA_HOME/bin/javac" -proc:full -cp "$cp" -d target/jmh-classes $(find src/jmh/java -name '*.java')
filter="${1:-.*}"; [ "$#" -gt 0 ] && shift
# the defaults the arguments do not override (JMH refuses an option given twice)
defaults=(-f 1 -wi 3 -w 1s -i 5 -r 1s); opts=()
for ((k = 0; k < ${#defaults[@]}; k += 2)); do
  case " $* " in *" ${defaults[k]} "*) ;; *) opts+=("${defaults[k]}" "${defaults[k + 1]}") ;; esac
done
"$JAVA" $(olla_java_flags) -cp "target/jmh-classes:$cp" org.openjdk.jmh.Main "${opts[@]}" "$filter" "$@" | tee target/jmh.out
grep -o "CPU/op.*" target/jmh.out || true
