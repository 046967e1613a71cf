# Sourced by test stages (not a stage itself): a running Olla from target/olla.jar in front of
# simulated backends, each in its own process so that one can be killed.
#   stack_start DIR            start an Ollama sim (llama3.2:3b, phi4:14b), a vLLM sim
#                              (meta-llama/Llama-3.1-8B-Instruct) and Olla; sets OLLA_URL, SIM_PIDS
#   stack_traffic N            N rounds of streamed and non-streamed requests in both formats
#   stack_stop                 stops every process started here
# Ports: the sims take ephemeral ports; Olla tries random ports in 20000-29999.
STACK_PIDS=()
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ]; then
  . scripts/jdk.sh
  olla_find_jdk
fi

STACK_JAVA="${JAVA_HOME:?JAVA_HOME not set}/bin/java"

stack_stop() {
  local p
  for p in "${STACK_PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${STACK_PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  STACK_PIDS=()
}

# stack_sim DIR NAME FLAVOR MODELS DELAY_MS [SIMCLI OPTIONS...]: starts one sim (24 tokens a generation;
# extra options go to SimCli, e.g. --load-delay-ms 90000); sets SIM_URL and SIM_PID_<NAME>
# (not to be called in a subshell: the PID must reach stack_stop)
stack_sim() {
  local dir=$1 name=$2 flavor=$3 models=$4 delay=$5
  shift 5
  "$STACK_JAVA" -cp target/olla.jar dev.olla.sim.SimCli --flavor "$flavor" --port 0 --models "$models" \
    --tokens 24 --delay-ms "$delay" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  STACK_PIDS+=($!)
  eval "SIM_PID_$name=$!"
  local i
  for i in $(seq 1 150); do
    if grep -q '^http://' "$dir/$name.out" 2>/dev/null; then
      SIM_URL=$(grep -m1 '^http://' "$dir/$name.out")
      return 0
    fi
    sleep 0.2
  done
  echo "simulator $name did not start: $(cat "$dir/$name.err")" >&2
  return 1
}

stack_start() {
  local dir=$1
  mkdir -p "$dir"
  local a b
  stack_sim "$dir" gpu0 ollama "llama3.2:3b,phi4:14b" 15
  a=$SIM_URL
  stack_sim "$dir" vllm vllm "meta-llama/Llama-3.1-8B-Instruct" 15
  b=$SIM_URL
  local try port
  for try in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 10000))
    cat >"$dir/config.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
discovery:
  static:
    endpoints:
      - name: gpu0
        url: $a
        type: ollama
        check_interval: 1s
        check_timeout: 500ms
      - name: vllm-box
        url: $b
        type: vllm
        check_interval: 1s
        check_timeout: 500ms
dashboard:
  enabled: true
YAML
    OLLA_LOGGING_FORMAT=json "$STACK_JAVA" -jar target/olla.jar -c "$dir/config.yaml" >"$dir/olla.log" 2>&1 &
    local pid=$!
    local i
    for i in $(seq 1 300); do
      if ! kill -0 "$pid" 2>/dev/null; then
        break
      fi
      if curl -sf "http://127.0.0.1:$port/olla/models" 2>/dev/null | grep -q 'Llama-3.1-8B'; then
        STACK_PIDS+=("$pid")
        OLLA_PID=$pid
        OLLA_URL="http://127.0.0.1:$port"
        export OLLA_URL
        return 0
      fi
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ! grep -q 'cannot listen' "$dir/olla.log"; then
      echo "Olla did not start:" >&2
      tail -20 "$dir/olla.log" >&2
      return 1
    fi
  done
  echo "no free port for Olla" >&2
  return 1
}

stack_traffic() {
  local n=${1:-3} i
  for i in $(seq 1 "$n"); do
    curl -sf "$OLLA_URL/olla/ollama/api/chat" -H 'Content-Type: application/json' \
      -d '{"model":"llama3.2:3b","messages":[{"role":"user","content":"Tell me a story"}]}' >/dev/null || true
    curl -sf "$OLLA_URL/olla/ollama/api/generate" -H 'Content-Type: application/json' \
      -d '{"model":"phi4:14b","stream":false,"prompt":"Why is the sky blue?"}' >/dev/null || true
    curl -sf "$OLLA_URL/olla/openai/v1/chat/completions" -H 'Content-Type: application/json' \
      -d '{"model":"meta-llama/Llama-3.1-8B-Instruct","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}' >/dev/null || true
    curl -sf "$OLLA_URL/olla/openai/v1/chat/completions" -H 'Content-Type: application/json' \
      -d '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"Hi"}]}' >/dev/null || true
    curl -s "$OLLA_URL/olla/openai/v1/chat/completions" -H 'Content-Type: application/json' \
      -d '{"model":"no-such-model","messages":[]}' >/dev/null || true
  done
}
