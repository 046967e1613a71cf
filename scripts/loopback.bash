# Helpers for scripts that start servers on loopback (sourced by scripts/aot-training.sh and the test
# stages that start the jar or the image).
#   loopback_setup NAME a temporary directory $work and a list $pids of started processes; at exit every
#                       pid is stopped and waited for and $work removed; fail MESSAGE prints
#                       "NAME: MESSAGE" with the end of each $work/*.log and exits 1 (a caller that
#                       cleans up differently defines its own fail instead)
#   free_port           a free 127.0.0.1 port in 20000-29999 (below the ephemeral range)
#   wait_port PORT      waits up to 30 s until PORT accepts
#   request PORT METHOD PATH [BODY]
#                       one HTTP/1.1 request over bash's /dev/tcp (no curl needed); prints the status code
loopback_setup() {
  loopback_name=$1
  work=$(mktemp -d)
  pids=()
  trap loopback_cleanup EXIT
  fail() { echo "$loopback_name: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && tail -5 "$f" >&2; done; exit 1; }
}
loopback_cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 10000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
  fail "no free port"
}
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; fail "port $1 never opened"; }
request() {
  local body="${4:-}" code
  exec 3<>/dev/tcp/127.0.0.1/"$1" || return 1
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "$2" "$3" "${#body}" "$body" >&3
  read -r _ code _ <&3 || true
  cat <&3 >/dev/null || true
  exec 3<&-
  echo "$code"
}
