#!/usr/bin/env bash
# Placement benchmark: time to first token on a mixed simulated fleet (a 4-slot and a 1-slot llama.cpp
# box, warm, and an Ollama box slow to load the model), least-connections versus capacity.
#
#   bench/placement.sh [CLIENTS=4] [REQUESTS=200] [balancer...]
#
# Builds the jar if needed; everything runs in one JVM on 127.0.0.1 (Olla on ports 18120+).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
bench_jar
exec "$JAVA" -cp "$JAR" "$here/PlacementBench.java" "$@"
