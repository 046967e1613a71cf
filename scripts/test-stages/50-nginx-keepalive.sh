#!/usr/bin/env bash
# nginx keep-alive stage (issue 13): a streamed chat completion whose model takes 90 s to load passes
# through Debian's nginx with `proxy_read_timeout 60s` in front of Olla, because Olla sends SSE
# `: keep-alive` comments before the first byte (proxy.sse_keepalive_interval, default 10s).
# A control request at the same time, through the same nginx to a second Olla with
# `proxy.sse_keepalive_interval: 0`, must be cut by nginx (504 or a truncated stream): proof that the
# check can fail. Both run in parallel, so the stage takes ~100 s.
#
# Processes (all stopped on exit): one simulated OpenAI backend (SimCli --load-delay-ms 90000: completion
# routes answer after 90 s, health and model lists at once), two Ollas (java -jar target/olla.jar), and
# nginx as a plain process from a temporary config (loopback, a free port below 32768, pid, logs and temp
# paths in the temp dir; as root it runs as `nobody`). Needs nginx and curl (.ci/apt.d/nginx.txt): skipped
# with a message when missing, except under CI=true. For a quick look at the mechanics, LOAD_MS (90000),
# READ_TIMEOUT_S (nginx's proxy_read_timeout, 60) and KEEPALIVE (Olla's interval, 10s) can be lowered together.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
for tool in "${NGINX:-nginx}" curl; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${CI:-}" = "true" ]; then
      echo "nginx-keepalive stage: '$tool' is missing (see .ci/apt.d/nginx.txt)" >&2
      exit 1
    fi
    echo "nginx-keepalive stage: skipped, '$tool' is not installed (apt-get install nginx curl)" >&2
    exit 0
  fi
done
if [ ! -f target/olla.jar ]; then
  echo "nginx-keepalive stage: target/olla.jar missing: run ./run-tests (or mvn -DskipTests package) first" >&2
  exit 1
fi
LOAD_MS=${LOAD_MS:-90000} READ_TIMEOUT_S=${READ_TIMEOUT_S:-60} KEEPALIVE=${KEEPALIVE:-10s}
. scripts/test-stages/olla-stack.bash

dir=$(mktemp -d /tmp/olla-nginx-stage.XXXXXX)
NGINX_PID=
cleanup() {
  if [ -n "$NGINX_PID" ]; then
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  stack_stop
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "nginx-keepalive stage: FAILED: $*" >&2
  for f in "$dir"/olla-*.log "$dir"/nginx/error.log; do
    [ -f "$f" ] && { echo "--- $f (tail)" >&2; tail -15 "$f" >&2; }
  done
  exit 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- the slow backend
stack_sim "$dir" slow openai m1 5 --load-delay-ms "$LOAD_MS"
SIM=$SIM_URL

# ---------------------------------------------------------------- two Ollas: keep-alives on / off
# olla_start NAME KEEPALIVE: sets OLLA_PORT_<NAME>
olla_start() {
  local name=$1 keepalive=$2 try port pid i
  for try in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 10000))
    port_free "$port" || continue
    cat >"$dir/olla-$name.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
proxy:
  response_header_timeout: 150s
  first_token_timeout: 150s
  sse_keepalive_interval: $keepalive
discovery:
  static:
    endpoints:
      - name: slow
        url: $SIM
        type: openai-compatible
        check_interval: 2s
        check_timeout: 1s
YAML
    "$STACK_JAVA" -jar target/olla.jar -c "$dir/olla-$name.yaml" >"$dir/olla-$name.log" 2>&1 &
    pid=$!
    for i in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      if curl -sf "http://127.0.0.1:$port/olla/models" 2>/dev/null | grep -q '"m1"'; then
        STACK_PIDS+=("$pid")
        eval "OLLA_PORT_$name=$port"
        return 0
      fi
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q 'cannot listen' "$dir/olla-$name.log" || fail "Olla ($name) did not start"
  done
  fail "no free port for Olla ($name)"
}
olla_start keep "$KEEPALIVE"
olla_start nokeep 0s

# ---------------------------------------------------------------- nginx in front of both
mkdir -p "$dir/nginx/tmp"
run_as=()
if [ "$(id -u)" = 0 ]; then
  chown -R nobody "$dir/nginx"
  chmod 755 "$dir"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
NGINX_PORT=
for try in 1 2 3 4 5; do
  p=$((20000 + RANDOM % 10000))
  port_free "$p" || continue
  cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log info;
events { worker_connections 64; }
http {
  access_log $dir/nginx/access.log;
  client_body_temp_path $dir/nginx/tmp/body;
  proxy_temp_path $dir/nginx/tmp/proxy;
  fastcgi_temp_path $dir/nginx/tmp/fastcgi;
  uwsgi_temp_path $dir/nginx/tmp/uwsgi;
  scgi_temp_path $dir/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$p;
    proxy_read_timeout ${READ_TIMEOUT_S}s;
    proxy_buffering off;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location /keep/ { proxy_pass http://127.0.0.1:$OLLA_PORT_keep/; }
    location /nokeep/ { proxy_pass http://127.0.0.1:$OLLA_PORT_nokeep/; }
  }
}
CONF
  "${run_as[@]}" "$NGINX" -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" &
  NGINX_PID=$!
  for i in $(seq 1 50); do
    if curl -s -o /dev/null "http://127.0.0.1:$p/keep/internal/health" 2>/dev/null; then
      NGINX_PORT=$p
      break 2
    fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  NGINX_PID=
done
[ -n "$NGINX_PORT" ] || fail "nginx did not start"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/keep/internal/health")
[ "$code" = 200 ] || fail "health through nginx answered $code"

# ---------------------------------------------------------------- the two streams, in parallel
body='{"model":"m1","stream":true,"messages":[{"role":"user","content":"hello"}]}'
stream() {
  curl -sS -N --max-time $((LOAD_MS / 1000 + 60)) -o "$dir/$1.body" -w '%{http_code} %{time_total}' \
    -H 'Content-Type: application/json' -d "$body" \
    "http://127.0.0.1:$NGINX_PORT/$1/olla/openai/v1/chat/completions" >"$dir/$1.status" 2>"$dir/$1.err" || true
}
echo "nginx-keepalive stage: two streams through nginx (proxy_read_timeout ${READ_TIMEOUT_S}s) to a model that loads for $((LOAD_MS / 1000)) s" >&2
stream keep &
a=$!
stream nokeep &
b=$!
wait "$a" "$b"

read -r keep_code keep_time <"$dir/keep.status" || true
read -r nokeep_code nokeep_time <"$dir/nokeep.status" || true
keepalives=$(grep -c '^: keep-alive' "$dir/keep.body" || true)
echo "nginx-keepalive stage: with keep-alives: HTTP ${keep_code:-?} in ${keep_time:-?} s, $keepalives keep-alive comments;" \
  "without: HTTP ${nokeep_code:-?} in ${nokeep_time:-?} s" >&2

# with keep-alives: 200, every token in order, [DONE]
[ "${keep_code:-}" = 200 ] || fail "the stream with keep-alives got HTTP ${keep_code:-none} ($(cat "$dir/keep.err"))"
text=$(grep '^data: {' "$dir/keep.body" | sed -n 's/.*"content":"\([^"]*\)".*/\1/p' | tr -d '\n')
[ "$text" = "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 tok13 tok14 tok15 tok16 tok17 tok18 tok19 tok20 tok21 tok22 tok23 " ] \
  || fail "the stream with keep-alives is incomplete: '$text'"
tail -c 64 "$dir/keep.body" | grep -q 'data: \[DONE\]' || fail "the stream with keep-alives has no [DONE]"
[ "$keepalives" -ge 2 ] || fail "only $keepalives keep-alive comments in the stream"
awk -v t="${keep_time:-0}" -v l="$LOAD_MS" 'BEGIN { exit !(t * 1000 >= l - 1000) }' \
  || fail "the stream took ${keep_time:-?} s: the backend's load delay did not apply"

# control, without keep-alives: nginx must have cut it (504 before any byte, or a stream without [DONE])
if [ "${nokeep_code:-}" = 200 ] && grep -q 'data: \[DONE\]' "$dir/nokeep.body"; then
  fail "the control stream without keep-alives went through: nginx's proxy_read_timeout did not bite, the check proves nothing"
fi
grep -q 'upstream timed out' "$dir/nginx/error.log" || fail "nginx logged no upstream timeout for the control stream"
echo "nginx-keepalive stage: OK (control cut by nginx: HTTP ${nokeep_code:-none})" >&2
