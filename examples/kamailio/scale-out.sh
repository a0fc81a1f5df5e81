#!/usr/bin/env bash
# sdes-rig scale-out behind Kamailio on 127.0.0.1 (docs/rig.md):
#   N answering sdes-rig backends  <-  Kamailio (dispatcher, OPTIONS probing)  <-  one caller rig
# Kamailio runs in the foreground with its own config, pid file and runtime
# directory in the output directory, never as the system service. SIP goes
# through Kamailio for the INVITE only (no Record-Route); ACK, BYE and the
# SRTP media go straight between caller and backend.
#
# Usage: scale-out.sh [--build DIR] [--out DIR] [--backends N] [--calls N]
#                     [--rate R] [--concurrent C] [--duration S] [--workers W]
#                     [--kill-at S]
#   --kill-at S  SIGKILL backend 1 S seconds after the caller is ready
#                (dispatcher failover demo; its calls in flight fail).
# Output directory: backend-I.json, caller.json (JSON lines of sdes-rig),
# kamailio.log, dispatcher.list, killed (epoch seconds of the kill).
# Exit status: the caller's (0: every call passed its checks).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build"
out=""
backends=2
calls=40
rate=20
concurrent=8
duration=3
workers=1
kill_at=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --concurrent) concurrent=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --kill-at) kill_at=$2; shift 2 ;;
    *) echo "scale-out.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rig="$build/tools/rig/sdes-rig"
[ -x "$rig" ] || { echo "scale-out.sh: $rig not built" >&2; exit 2; }
command -v kamailio >/dev/null || { echo "scale-out.sh: kamailio not installed" >&2; exit 2; }
export GST_PLUGIN_PATH="$build/gst"
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out/run"

pids=()
kam_pid=""
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  [ -n "$kam_pid" ] && kill -TERM "$kam_pid" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
wait_ready() {  # wait_ready FILE: until sdes-rig printed its "ready" line
  for _ in $(seq 150); do grep -q '"event":"ready"' "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# 1. The backends, each with its own SIP port and media workers.
: > "$out/dispatcher.list"
for i in $(seq "$backends"); do
  port=$(free_port)
  "$rig" --answer --listen "127.0.0.1:$port" --workers "$workers" --allow-insecure-signaling \
    > "$out/backend-$i.json" 2> "$out/backend-$i.err" &
  pids+=($!)
  echo "$!" > "$out/backend-$i.pid"
  # setid destination flags priority
  echo "1 sip:127.0.0.1:$port;transport=udp 0 0" >> "$out/dispatcher.list"
done
for i in $(seq "$backends"); do
  wait_ready "$out/backend-$i.json" || { echo "scale-out.sh: backend $i did not start" >&2; exit 2; }
done

# 2. Kamailio in front of them, in the foreground (-DD -E), everything in $out.
kport=$(free_port)
kamailio -f "$here/kamailio.cfg" -l "udp:127.0.0.1:$kport" -A "DS_LIST=\"$out/dispatcher.list\"" \
  -P "$out/kamailio.pid" -Y "$out/run" -m 64 -M 8 -DD -E > "$out/kamailio.log" 2>&1 &
kam_pid=$!
for _ in $(seq 100); do grep -q "Listening on" "$out/kamailio.log" && break; sleep 0.1; done
sleep 1.5   # one probing round: every backend answered OPTIONS
if grep -q "dst-down" "$out/kamailio.log"; then
  echo "scale-out.sh: a backend did not answer the dispatcher's OPTIONS" >&2
  exit 2
fi

# 3. The caller, through Kamailio.
"$rig" --call "sip:rig@127.0.0.1:$kport;transport=udp" --calls "$calls" --rate "$rate" \
  --concurrent "$concurrent" --duration "$duration" --workers "$workers" --allow-insecure-signaling \
  > "$out/caller.json" 2> "$out/caller.err" &
caller=$!
if [ -n "$kill_at" ]; then
  wait_ready "$out/caller.json"   # S seconds of calling, not of start-up
  sleep "$kill_at"
  kill -KILL "${pids[0]}"
  date +%s.%N > "$out/killed"
  echo "scale-out.sh: killed backend 1 (pid ${pids[0]}) at $(cat "$out/killed")" >&2
fi
wait "$caller"
status=$?

# 4. Stop the backends (they print their summaries) and Kamailio.
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
pids=()
kill -TERM "$kam_pid" 2>/dev/null
wait "$kam_pid" 2>/dev/null
kam_pid=""

summary() { grep '"event":"summary"' "$1" | tail -n 1; }
echo "caller: $(summary "$out/caller.json")"
for i in $(seq "$backends"); do
  echo "backend $i answered $(grep -c '"event":"call"' "$out/backend-$i.json") call(s)"
done
grep "dispatcher:" "$out/kamailio.log" | sed 's/^.*dispatcher:/kamailio: dispatcher:/'
echo "output in $out"
exit "$status"
