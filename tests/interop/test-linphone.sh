#!/usr/bin/env bash
# Interop with an independent SDES stack: liblinphone 5.1 (Debian's
# linphone-cli, its own SIP stack belle-sip and its own SRTP use through
# mediastreamer2) against sdes-phone, both ways, on 127.0.0.1 over UDP.
# linphonec has no sound card here: "soundcard use files" makes it send a
# WAV file (660 Hz) and record what it receives. TAP output; every process
# is bounded by timeout.  $1 = build dir
set -u
build=$1
phone="$build/examples/sdes-phone"
export GST_PLUGIN_PATH="$build/gst"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
work=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "# work dir $work"
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
field() { grep "\"event\":\"$2\"" "$1" | tail -n 1 | sed -n "s/.*\"$3\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
freq() { sox "$1" -n stat 2>&1 | sed -n 's/^Rough[ ]*frequency:[ ]*\([0-9]*\).*/\1/p'; }
near() { [ -n "$1" ] && [ "$1" -ge $(($2 - 15)) ] && [ "$1" -le $(($2 + 15)) ]; }

command -v linphonec >/dev/null 2>&1 || skip_all "linphonec (linphone-cli) is not installed"
command -v sox >/dev/null 2>&1 || skip_all "sox is not installed"
[ -x "$phone" ] || skip_all "sdes-phone is not built"
echo "TAP version 13"
sox -n -r 8000 -c 1 -b 16 "$work/tone.wav" synth 30 sine 660 2>/dev/null

# linphone NAME ENCRYPTION [COMMAND...]: starts linphonec with its own HOME
# and config (SIP port in $lsip), feeding it the given console commands.
linphone() {
  local name=$1 enc=$2; shift 2
  local home="$work/$name-home"
  mkdir -p "$home/.local/share/linphone"
  lsip=$(port); lrtp=$(port)
  cat > "$home/rc" <<RC
[sip]
sip_port=$lsip
sip_tcp_port=-1
sip_tls_port=-1
media_encryption=$enc
media_encryption_mandatory=$([ "$enc" = srtp ] && echo 1 || echo 0)
[rtp]
audio_rtp_port=$lrtp
[net]
firewall_policy=0
RC
  {
    sleep 1
    # Its c= would be the machine's default local address (IPv6 on some
    # machines, whatever the call's address): pinned to 127.0.0.1.
    echo "ipv6 disable"
    echo "nat 127.0.0.1"
    echo "firewall nat"
    echo "soundcard use files"
    echo "play $work/tone.wav"
    echo "record $work/$name.rec.wav"
    for c in "$@"; do echo "$c"; done
    sleep 25
  } | HOME="$home" timeout 30 linphonec -c "$home/rc" -a -d 3 -l "$work/$name.linphone.log" \
      > "$work/$name.linphone.out" 2>&1 &
  for _ in $(seq 50); do
    grep -q "soundcard use files" "$work/$name.linphone.out" 2>/dev/null && break
    sleep 0.1
  done
  sleep 1
}

# 1-3. sdes-phone calls linphone (auto-answer), one call per suite we offer.
for suite in ${SUITES:-AES_CM_128_HMAC_SHA1_80 AES_256_CM_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32}; do
  linphone "out-$suite" srtp
  ap=$(port)
  timeout 30 "$phone" --bind "sip:127.0.0.1:$ap;transport=udp" --call "sip:linphone@127.0.0.1:$lsip;transport=udp" \
    --srtp mandatory --allow-insecure-signaling --suite "$suite" --duration 6 --json \
    > "$work/out-$suite.json" 2> "$work/out-$suite.err"
  st=$?
  sleep 1
  j="$work/out-$suite.json"
  hz=$(field "$j" summary dominant_hz)
  lhz=$(freq "$work/out-$suite.rec.wav")
  [ $st = 0 ] && [ "$(field "$j" summary suite)" = "$suite" ] && [ "$(field "$j" summary secure)" = true ] \
    && [ "$(field "$j" summary packets_received)" -gt 200 ] && [ "$(field "$j" summary auth_failures)" = 0 ] \
    && near "$hz" 660
  ok $? "sdes-phone -> linphone, $suite: secure, $(field "$j" summary packets_received) packets from linphone authenticated, its tone at ${hz:-?} Hz"
  near "$lhz" 440
  ok $? "linphone decrypted our $suite stream: its recording is at ${lhz:-?} Hz (we send 440)"
  case $suite in
    *_80)
      [ "$(field "$j" summary rtcp_received)" -ge 1 ]
      ok $? "linphone's SRTCP authenticates ($(field "$j" summary rtcp_received) packets)" ;;
    *_32)
      # liblinphone sends SRTCP with a 32-bit tag under the _32 suites
      # (RFC 3711 §4.2 says 80 bits): srtpsdesdec accepts that form too.
      [ "$(field "$j" summary rtcp_received)" -ge 1 ]
      ok $? "linphone's SRTCP with a 32-bit tag authenticates ($(field "$j" summary rtcp_received) packets)" ;;
  esac
done

# Hold and resume by re-INVITE against linphone (RFC 4568 §7.1.4; Cisco
# "SIP Support for SRTP", rekeying): the keys stay, audio flows again after
# the resume. mediastreamer2 re-creates its libsrtp2 context on a re-INVITE
# with the same key, so its SRTCP index starts again: the decoder drops that
# as a replay (RFC 3711 §3.3.2) and the phone reports it with exit status 1
# (docs/interop.md). Accepted here: status 1 with at most 2 replay drops.
linphone hold srtp
ap=$(port)
timeout 30 "$phone" --bind "sip:127.0.0.1:$ap;transport=udp" --call "sip:linphone@127.0.0.1:$lsip;transport=udp" \
  --srtp mandatory --allow-insecure-signaling --duration 8 --hold-after 2 --resume-after 4 --json \
  > "$work/hold.json" 2> "$work/hold.err"
st=$?
sleep 1
j="$work/hold.json"
{ [ $st = 0 ] || { [ $st = 1 ] && [ "$(field "$j" summary replay_drops)" -le 2 ]; }; } \
  && [ "$(field "$j" summary held)" = true ] && [ "$(field "$j" summary resumed)" = true ] \
  && [ "$(field "$j" summary rekeys)" = 0 ] && [ "$(field "$j" summary auth_failures)" = 0 ] \
  && [ "$(field "$j" summary packets_received)" -gt 200 ] && near "$(field "$j" summary dominant_hz)" 660
ok $? "hold/resume with linphone: held, resumed, no rekey, $(field "$j" summary packets_received) packets (more than the 2 s before the hold can give), 0 auth failures, $(field "$j" summary replay_drops) replayed SRTCP dropped"
lhz=$(freq "$work/hold.rec.wav")
near "$lhz" 440
ok $? "linphone decrypted our stream across the hold and resume: recording at ${lhz:-?} Hz"

# 4. linphone calls sdes-phone (answering, SRTP mandatory): its offer lists
#    eleven crypto lines, session parameters included; we take the first.
bp=$(port)
# --duration counts from the phone's start: linphonec can take seconds to
# place the call on a loaded machine, so leave room for 5 s of media.
timeout 30 "$phone" --answer --bind "sip:127.0.0.1:$bp;transport=udp" --srtp mandatory --allow-insecure-signaling \
  --duration 11 --json > "$work/in.json" 2> "$work/in.err" &
ppid=$!
sleep 1
linphone in srtp "call sip:bob@127.0.0.1:$bp"
wait $ppid
j="$work/in.json"
hz=$(field "$j" summary dominant_hz)
[ "$(field "$j" summary connected)" = true ] && [ "$(field "$j" summary secure)" = true ] \
  && [ "$(field "$j" summary suite)" = AES_CM_128_HMAC_SHA1_80 ] && [ "$(field "$j" summary tag)" = 1 ] \
  && [ "$(field "$j" summary packets_received)" -gt 100 ] && [ "$(field "$j" summary auth_failures)" = 0 ] \
  && near "$hz" 660
ok $? "linphone -> sdes-phone: answered its first line (tag $(field "$j" summary tag)), $(field "$j" media codec) from $(field "$j" media remote), secure, $(field "$j" summary packets_received) packets, tone at ${hz:-?} Hz"
lhz=$(freq "$work/in.rec.wav")
near "$lhz" 440
ok $? "linphone decrypted our answer's stream: its recording is at ${lhz:-?} Hz (we send 440)"

# 5. linphone without SRTP calls a phone that requires it: 488 with a Warning.
bp=$(port)
timeout 20 "$phone" --answer --bind "sip:127.0.0.1:$bp;transport=udp" --srtp mandatory --allow-insecure-signaling \
  --duration 4 --json > "$work/plain.json" 2> "$work/plain.err" &
ppid=$!
sleep 1
linphone plain none "call sip:bob@127.0.0.1:$bp"
sleep 3
kill $ppid 2>/dev/null; wait $ppid 2>/dev/null
grep -q "SIP/2.0 488" "$work/plain.linphone.log" && grep -qi "Warning: 399" "$work/plain.linphone.log"
ok $? "an RTP/AVP offer from linphone to a mandatory phone gets 488 with a Warning"

echo "1..$n"
[ $fails -eq 0 ]
