#!/usr/bin/env bash
# sdes-phone must not fail silently: missing plugin, signals, hostile text in
# the JSON, drop counters, port choice. Real processes on 127.0.0.1; TAP.
#   $1 = build dir, $2 = source dir, $3 = the plugin install dir compiled in
set -u
build=$1
src=$2
installed_plugins=$3
phone="$build/examples/sdes-phone"
export GST_PLUGIN_PATH="$build/gst"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# field FILE EVENT KEY: the value of KEY in the last EVENT line, parsed as JSON.
field() {
  python3 -c 'import json,sys
v=None
for l in open(sys.argv[1]):
    o=json.loads(l)
    if o.get("event")==sys.argv[2]: v=o.get(sys.argv[3])
print("" if v is None else (str(v).lower() if isinstance(v,bool) else v))' "$@"
}
port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# An even port whose next port is free too (RTP/RTCP).
even_port() { python3 -c '
import socket
while True:
    a=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); a.bind(("127.0.0.1",0)); p=a.getsockname()[1]
    if p%2 or p>=65534: continue
    try:
        b=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); b.bind(("127.0.0.1",p+1)); print(p); break
    except OSError: pass'; }
wait_for() {  # wait_for FILE PATTERN SECONDS
  for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1
}
# fake_uas PORT MODE ARG (background, pid in $fpid): see fake-uas.py; returns once it listens.
fake_uas() {
  python3 "$src/tests/examples/fake-uas.py" "$@" > "$work/uas.$1.out" &
  fpid=$!
  wait_for "$work/uas.$1.out" ready 10
}
all_json() { python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$1"; }

echo "TAP version 13"

# 1. --version.
out=$("$phone" --version); st=$?
[ $st -eq 0 ] && [[ "$out" == "sdes-phone "[0-9]*" (srtpsdes; GStreamer "* ]]
ok $? "--version prints '$out' and exits 0"

# 2. No srtpsdes plugin anywhere: exit 3 with what to set, before any socket.
if [ -e "$installed_plugins/libgstsrtpsdes.so" ]; then
  skip "the plugin is installed in $installed_plugins: the phone would find it"
else
  mkdir -p "$work/empty"
  env -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH_1_0 GST_PLUGIN_PATH="$work/empty" \
    GST_PLUGIN_SYSTEM_PATH="" GST_REGISTRY="$work/fresh-registry.bin" \
    timeout 20 "$phone" --answer --bind "sip:127.0.0.1:$(port);transport=udp" --duration 1 --json \
    > "$work/noplugin.out" 2> "$work/noplugin.err"
  st=$?
  [ $st -eq 3 ] && [ ! -s "$work/noplugin.out" ] \
    && grep -q "srtpsdesenc and srtpsdesdec were not found" "$work/noplugin.err" \
    && grep -q "set GST_PLUGIN_PATH" "$work/noplugin.err" && grep -qF "$installed_plugins" "$work/noplugin.err"
  ok $? "without the plugin: exit $st (3) and says what to set: $(head -c 120 "$work/noplugin.err")"
fi

# 3. --rtp-port: an odd port is refused; an even one is used.
"$phone" --answer --rtp-port 40001 > /dev/null 2> "$work/odd.err"; st=$?
[ $st -eq 2 ] && grep -q "RTP takes an even port" "$work/odd.err"
ok $? "--rtp-port 40001 is refused (exit $st): $(cat "$work/odd.err")"

# call NAME CALLEE-ARGS -- CALLER-ARGS (background): $work/NAME.{a,b}.json,
# callee RTP port in $rtp, pids in $apid/$bpid.
start_call() {
  local name=$1; shift
  local callee=() caller=()
  while [ "$1" != "--" ]; do callee+=("$1"); shift; done; shift
  caller=("$@")
  local bp; bp=$(port)
  rtp=$(even_port)
  timeout 40 "$phone" --answer --bind "sip:127.0.0.1:$bp;transport=udp" --rtp-port "$rtp" --json \
    "${callee[@]}" > "$work/$name.b.json" 2> "$work/$name.b.err" &
  bpid=$!
  wait_for "$work/$name.b.json" '"event":"started"' 10
  timeout 40 "$phone" --call "sip:bob@127.0.0.1:$bp;transport=udp" \
    --bind "sip:127.0.0.1:$(port);transport=udp" --json "${caller[@]}" \
    > "$work/$name.a.json" 2> "$work/$name.a.err" &
  apid=$!
}

# 4. SIGTERM during a call: the caller hangs up (the callee sees the BYE),
#    prints its summary, finishes its WAV and exits 143.
start_call term --srtp mandatory --allow-insecure-signaling --duration 30 -- \
  --srtp mandatory --allow-insecure-signaling --duration 30 --record "$work/term.wav"
wait_for "$work/term.a.json" '"event":"secure-media"' 10
timeout 20 "$phone" --answer --bind "sip:127.0.0.1:$(port);transport=udp" --rtp-port "$rtp" --duration 1 \
  > /dev/null 2> "$work/busy.err"; st=$?
[ $st -eq 1 ] && grep -qF "no free even/odd UDP port pair for RTP in $rtp-$rtp on 127.0.0.1" "$work/busy.err"
ok $? "--rtp-port on a port in use: exit $st, $(cat "$work/busy.err")"
sleep 1
kill -TERM $apid; wait $apid; ast=$?
wait $bpid; bst=$?
[ "$(field "$work/term.b.json" started rtp_port)" = "$rtp" ]
ok $? "--rtp-port $rtp: the answerer's media is on port $(field "$work/term.b.json" started rtp_port)"
[ $ast -eq 143 ] && [ "$(field "$work/term.a.json" summary interrupted_by)" = SIGTERM ] \
  && [ "$(field "$work/term.a.json" summary ok)" = false ] && grep -q "interrupted by SIGTERM" "$work/term.a.err"
ok $? "SIGTERM: exit $ast (143), summary printed with interrupted_by SIGTERM, ok false"
[ "$(field "$work/term.b.json" ended reason)" = "Hung up by peer" ] && [ "$(field "$work/term.b.json" summary end_reason)" = "Hung up by peer" ] \
  && [ $bst -eq 0 ]
ok $? "the other phone got the BYE: '$(field "$work/term.b.json" summary end_reason)', exit $bst"
secs=$(soxi -D "$work/term.wav" 2>/dev/null)
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1.0 else 1)' "${secs:-0}"
ok $? "the interrupted phone's --record WAV is finished: soxi says ${secs:-invalid} s"

# 5. SIGINT before any call: the answerer stops at once, exit 130.
timeout 20 "$phone" --answer --bind "sip:127.0.0.1:$(port);transport=udp" --json > "$work/int.json" 2> "$work/int.err" &
ipid=$!
wait_for "$work/int.json" '"event":"started"' 10
kill -INT $ipid; wait $ipid; st=$?
[ $st -eq 130 ] && [ "$(field "$work/int.json" summary connected)" = false ] && [ "$(field "$work/int.json" summary interrupted_by)" = SIGINT ]
ok $? "SIGINT while waiting: exit $st (130) with a summary"

# 5b. SIGTERM while ringing: the caller sends CANCEL, then exits 143.
up=$(port)
fake_uas "$up" ring "$work/ring.log"
timeout 20 "$phone" --call "sip:x@127.0.0.1:$up;transport=udp" --bind "sip:127.0.0.1:$(port);transport=udp" \
  --srtp off --duration 15 --json > "$work/ring.json" 2> "$work/ring.err" &
rpid=$!
wait_for "$work/ring.log" RINGING 10
sleep 0.5
kill -TERM $rpid; wait $rpid; st=$?
wait $fpid
[ $st -eq 143 ] && grep -q CANCEL "$work/ring.log" 2>/dev/null && [ "$(field "$work/ring.json" summary connected)" = false ] \
  && [ "$(field "$work/ring.json" summary end_status)" = 487 ]
ok $? "SIGTERM while ringing: CANCEL sent, call ended $(field "$work/ring.json" summary end_status), exit $st (143)"

# 6. A hostile reason phrase (quote, backslash, braces) from a UAS: every
#    --json line still parses, and the phrase comes through intact; the
#    plain-text line reads as words.
phrase='Busy "Here" \ {"ok":true}'
for mode in json words; do
  up=$(port)
  fake_uas "$up" reject "$phrase"
  flag=(); [ $mode = json ] && flag=(--json)
  timeout 20 "$phone" --call "sip:x@127.0.0.1:$up;transport=udp" --bind "sip:127.0.0.1:$(port);transport=udp" \
    --srtp off --duration 5 "${flag[@]}" > "$work/hostile.$mode" 2> "$work/hostile.$mode.err"
  st=$?
  wait $fpid
  if [ $mode = json ]; then
    all_json "$work/hostile.json" && [ "$(field "$work/hostile.json" ended reason)" = "$phrase" ] \
      && [ "$(field "$work/hostile.json" summary end_status)" = 486 ] && [ $st -eq 1 ]
    ok $? "486 '$phrase': every --json line parses, the reason is intact, exit $st"
  else
    grep -qxF "sdes-phone: ended        status 486, reason $phrase" "$work/hostile.words" \
      && grep -q '^sdes-phone: summary .*connected no, .*ok no$' "$work/hostile.words"
    ok $? "plain text reads as words: '$(grep '^sdes-phone: ended' "$work/hostile.words")'"
  fi
done

# 7. Garbage at the RTP port during a call: counted (as invalid drops, or
#    as unknown-key drops when it looks like RTP on an SRTP call), ok false,
#    exit 1 with the count on stderr; the sending side is unaffected.
for junk in "mandatory 00 invalid_drops datagrams on the media ports were not SRTP/SRTCP packets" \
            "off 00 invalid_drops datagrams on the media ports were not RTP packets" \
            "mandatory 80 unknown_key_drops media packets matched no negotiated key"; do
  read -r srtp byte counter message <<< "$junk"
  name="junk-$srtp-$byte"
  start_call "$name" --srtp $srtp --allow-insecure-signaling --duration 30 -- \
    --srtp $srtp --allow-insecure-signaling --duration 8
  # The junk must land while the call runs, however slow the machine.
  wait_for "$work/$name.b.json" '"event":"media"' 10
  sleep 0.5
  python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(bytes([int(sys.argv[2],16)])+bytes(10)+bytes([i])+bytes(28),("127.0.0.1",int(sys.argv[1])))
    if i%20==19: time.sleep(0.01)' "$rtp" "$byte"
  wait $apid; ast=$?
  wait $bpid; bst=$?
  [ "$(field "$work/$name.b.json" summary "$counter")" = 200 ] \
    && [ "$(field "$work/$name.b.json" summary ok)" = false ] && [ $bst -eq 1 ] \
    && grep -q "^sdes-phone: 200 $message" "$work/$name.b.err" \
    && [ "$(field "$work/$name.a.json" summary "$counter")" = 0 ] && [ $ast -eq 0 ]
  ok $? "--srtp $srtp, 200 datagrams starting 0x$byte -> $counter $(field "$work/$name.b.json" summary "$counter"), ok false, exit $bst; stderr: $(cat "$work/$name.b.err")"
done

keys=$(cat "$work"/*.json "$work"/*.err 2>/dev/null | grep -o 'inline:[A-Za-z0-9+/]\{20,\}' | head -n 1)
[ -z "$keys" ]
ok $? "no inline: key text in any phone output"

echo "1..$n"
[ $fails -eq 0 ]
