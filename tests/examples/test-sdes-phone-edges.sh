#!/usr/bin/env bash
# sdes-phone at the edges of a call's transport: IPv6 and mixed address
# families (the answer's c= in the family of the offer's, or 488 + Warning),
# and re-INVITEs that add or drop a=rtcp-mux (RFC 5761 §5.1.1) in a call
# with media. Real processes over 127.0.0.1 and ::1; TAP.
#   $1 = build dir, $2 = source dir
set -u
build=$1
src=$2
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
# port HOST: a free UDP port on HOST.
port() { python3 -c 'import socket,sys
h=sys.argv[1]; s=socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET,socket.SOCK_DGRAM)
s.bind((h,0)); print(s.getsockname()[1])' "$1"; }
wait_for() {  # wait_for FILE PATTERN SECONDS
  for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1
}
ipv6=yes
python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' 2>/dev/null || ipv6=no

# call NAME SIP-HOST CALLEE-ARGS -- CALLER-ARGS: one call over SIP on
# SIP-HOST (127.0.0.1 or ::1); results in $work/NAME.{a,b}.{json,err,status}.
call() {
  local name=$1 host=$2; shift 2
  local callee=() caller=()
  while [ "$1" != "--" ]; do callee+=("$1"); shift; done; shift
  caller=("$@")
  local h=$host; [[ $host == *:* ]] && h="[$host]"
  local bp; bp=$(port "$host")
  local ap; ap=$(port "$host")
  timeout 60 "$phone" --answer --bind "sip:$h:$bp;transport=udp" --duration 40 --json \
    --srtp mandatory --allow-insecure-signaling "${callee[@]}" > "$work/$name.b.json" 2> "$work/$name.b.err" &
  local bpid=$!
  wait_for "$work/$name.b.json" '"event":"started"' 20
  timeout 50 "$phone" --call "sip:bob@$h:$bp;transport=udp" --bind "sip:$h:$ap;transport=udp" --json \
    --srtp mandatory --allow-insecure-signaling "${caller[@]}" > "$work/$name.a.json" 2> "$work/$name.a.err"
  echo $? > "$work/$name.a.status"
  wait $bpid
  echo $? > "$work/$name.b.status"
}
# good NAME: both phones exit 0, media authenticated both ways.
good() {
  [ "$(cat "$work/$1.a.status")" = 0 ] && [ "$(cat "$work/$1.b.status")" = 0 ] \
    && [ "$(field "$work/$1.a.json" summary packets_received)" -gt 50 ] \
    && [ "$(field "$work/$1.b.json" summary packets_received)" -gt 50 ] \
    && [ "$(field "$work/$1.a.json" summary auth_failures)" = 0 ] \
    && [ "$(field "$work/$1.b.json" summary auth_failures)" = 0 ] \
    && [ "$(field "$work/$1.a.json" summary secure)" = true ]
}
remote_host() { field "$1" media remote | sed 's/:[0-9]*$//'; }

echo "TAP version 13"

# 1-4. Address families.
if [ $ipv6 = no ]; then
  skip "IPv6 end to end: ::1 cannot be bound here"
  skip "v6 caller to a v4-bound answerer: ::1 cannot be bound here"
  skip "v4 caller to a v6-first answerer: ::1 cannot be bound here"
  skip "v6 caller to a v4-only answerer: ::1 cannot be bound here"
  skip "488 and its Warning on the wire: ::1 cannot be bound here"
else
  # Both phones on sip:[::1], media on ::1.
  call v6 ::1 -- --duration 5
  good v6 && [ "$(remote_host "$work/v6.a.json")" = "::1" ] && [ "$(remote_host "$work/v6.b.json")" = "::1" ]
  ok $? "IPv6 end to end on ::1: SIP and SRTP over ::1, media authenticated both ways ($(field "$work/v6.a.json" summary packets_received) / $(field "$work/v6.b.json" summary packets_received))"

  # A caller with media on ::1 (SIP on 127.0.0.1) to a phone bound to
  # 127.0.0.1: the answer's c= is ::1 (the phone also listens on ::1).
  call v6to4 127.0.0.1 -- --duration 5 --media-address ::1
  good v6to4 && [ "$(remote_host "$work/v6to4.a.json")" = "::1" ] && [ "$(remote_host "$work/v6to4.b.json")" = "::1" ]
  ok $? "IPv6 offer to a phone bound to 127.0.0.1 is answered on ::1 and the call works"

  # The reverse: an IPv4 offer to an answerer whose first media address is ::1.
  call v4to6 127.0.0.1 --media-address ::1 --media-address 127.0.0.1 -- --duration 5 --media-address 127.0.0.1
  good v4to6 && [ "$(remote_host "$work/v4to6.a.json")" = "127.0.0.1" ] && [ "$(remote_host "$work/v4to6.b.json")" = "127.0.0.1" ]
  ok $? "IPv4 offer to an answerer with media on ::1 and 127.0.0.1 is answered on 127.0.0.1 and the call works"

  # No media address in the offer's family: 488 and a reason, not a call
  # whose pipeline cannot start.
  call v6only4 127.0.0.1 --media-address 127.0.0.1 -- --duration 5 --media-address ::1
  [ "$(cat "$work/v6only4.a.status")" = 1 ] && [ "$(cat "$work/v6only4.b.status")" = 1 ] \
    && [ "$(field "$work/v6only4.a.json" ended status)" = 488 ] \
    && field "$work/v6only4.a.json" ended reason | grep -q "Incompatible network address formats: no IPv6 media address" \
    && grep -q "IPv6 and this phone has media on 127.0.0.1 only" "$work/v6only4.b.err" \
    && ! grep -q "did not start" "$work"/v6only4.*.err
  ok $? "IPv6 offer to a phone with IPv4 media only: 488 with the reason, both phones exit 1"

  # The same refusal on the wire, from a scripted caller: status and Warning.
  bp=$(port 127.0.0.1)
  timeout 30 "$phone" --answer --bind "sip:127.0.0.1:$bp;transport=udp" --media-address 127.0.0.1 \
    --duration 15 --json --srtp mandatory --allow-insecure-signaling > "$work/uac.b.json" 2> "$work/uac.b.err" &
  bpid=$!
  wait_for "$work/uac.b.json" '"event":"started"' 20
  timeout 20 python3 "$src/tests/examples/fake-uac.py" 127.0.0.1 "$bp" ::1 > "$work/uac.out" 2>&1
  wait $bpid
  head -n 1 "$work/uac.out" | grep -q "^SIP/2.0 488 " \
    && grep -q '^Warning: 399 [^ ]* "Incompatible network address formats: no IPv6 media address"' "$work/uac.out"
  ok $? "the refusal is 488 with Warning: 399 ... Incompatible network address formats ($(sed -n 2p "$work/uac.out"))"
fi

# 6-7. rtcp-mux added, then dropped, by a re-INVITE 4 s into a 14 s call
# (rtpbin sends RTCP every 2.5-7.5 s). RTP carries on (at most 2 packets
# missing from either receiver's sequence), SRTCP arrives on the new port,
# no key changes.
mux_case() {  # mux_case NAME NOW-MUXED
  local name=$1 now=$2 newport=rtcp_on_rtp_port
  [ "$now" = false ] && newport=rtcp_on_rtcp_port
  [ "$(cat "$work/$name.a.status")" = 0 ] && [ "$(cat "$work/$name.b.status")" = 0 ] \
    && grep -q '"event":"rtcp-mux-switch"' "$work/$name.a.json" \
    && [ "$(field "$work/$name.a.json" media-update rtcp_mux)" = "$now" ] \
    && [ "$(field "$work/$name.b.json" media-update rtcp_mux)" = "$now" ] \
    && [ "$(field "$work/$name.a.json" media-update local_key_changed)" = false ] \
    && [ "$(field "$work/$name.b.json" media-update remote_key_changed)" = false ] \
    && [ "$(field "$work/$name.a.json" summary rekeys)" = 0 ] \
    && [ "$(field "$work/$name.a.json" summary rtp_lost)" -le 2 ] \
    && [ "$(field "$work/$name.b.json" summary rtp_lost)" -le 2 ] \
    && [ "$(field "$work/$name.b.json" summary packets_received)" -gt 450 ] \
    && [ "$(field "$work/$name.a.json" summary packets_received)" -gt 450 ] \
    && [ "$(field "$work/$name.a.json" summary $newport)" -ge 1 ] \
    && [ "$(field "$work/$name.b.json" summary $newport)" -ge 1 ] \
    && [ "$(field "$work/$name.a.json" summary auth_failures)" = 0 ] \
    && [ "$(field "$work/$name.b.json" summary auth_failures)" = 0 ]
}
figures() {
  local f
  for f in a b; do
    printf '%s: rtp %s recv %s lost, rtcp %s on RTP port %s on RTCP port; ' "$f" \
      "$(field "$work/$1.$f.json" summary packets_received)" "$(field "$work/$1.$f.json" summary rtp_lost)" \
      "$(field "$work/$1.$f.json" summary rtcp_on_rtp_port)" "$(field "$work/$1.$f.json" summary rtcp_on_rtcp_port)"
  done
}

call addmux 127.0.0.1 --rtcp-mux -- --duration 14 --rtcp-mux-switch-after 4
mux_case addmux true
ok $? "re-INVITE adding a=rtcp-mux moves RTCP to the RTP port without losing RTP ($(figures addmux))"

call dropmux 127.0.0.1 --rtcp-mux -- --rtcp-mux --duration 14 --rtcp-mux-switch-after 4
[ "$(field "$work/dropmux.a.json" media rtcp_mux)" = true ] && mux_case dropmux false
ok $? "re-INVITE dropping a=rtcp-mux moves RTCP back to the RTCP port without losing RTP ($(figures dropmux))"

keys=$(cat "$work"/*.json "$work"/*.err | grep -o 'inline:[A-Za-z0-9+/]\{20,\}' | head -n 1)
[ -z "$keys" ]
ok $? "no inline: key text in any phone output"

echo "1..$n"
[ $fails -eq 0 ]
