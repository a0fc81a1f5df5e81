#!/usr/bin/env bash
# One secure call a person can watch: two sdes-phone instances call each other
# over SIP/TLS on 127.0.0.1 with SRTP mandatory. The caller sends a 440 Hz tone,
# holds the call in the middle and resumes it. Afterwards the script says, in
# plain words, what was negotiated and checks what a person would check:
#   - the negotiated suite, and that media was secure on both sides
#   - packet counts, with zero authentication failures
#   - the received audio's dominant frequency is 440 Hz
#   - a capture of the media ports contains none of the plaintext payload
#
# usage: secure-call-demo.sh BUILD_DIR [--listen] [--keep DIR]
#   --listen    also play the received tone (autoaudiosink)
#   --keep DIR  keep the TLS certificates, capture, recordings and JSON logs in DIR
set -uo pipefail

build=${1:?usage: secure-call-demo.sh BUILD_DIR [--listen] [--keep DIR]}
shift
listen=()
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen=(--play); shift ;;
    --keep) keep=${2:?--keep needs a directory}; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

phone="$build/examples/sdes-phone"
[ -x "$phone" ] || { echo "demo: $phone is not built" >&2; exit 1; }
export GST_PLUGIN_PATH="$(cd "$build/gst" && pwd)${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

work=$(mktemp -d /tmp/srtpsdes-demo.XXXXXX)
cleanup() {
  [ -n "${cap_pid:-}" ] && kill "$cap_pid" 2>/dev/null
  [ -n "${bob_pid:-}" ] && kill "$bob_pid" 2>/dev/null
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/ && echo "kept: $keep"; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
ok=1
check() {  # check CONDITION-STATUS "what"
  if [ "$1" -eq 0 ]; then say "  [ok]   $2"; else say "  [FAIL] $2"; ok=0; fi
}

# 1. Throw-away TLS certificates: a CA and one certificate for 127.0.0.1.
(
  cd "$work" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
    -out ca.pem -days 1 -subj "/CN=srtpsdes demo CA" &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout host.key \
    -out host.csr -subj "/CN=127.0.0.1" &&
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' > ext.cnf &&
  openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out host.pem \
    -days 1 -extfile ext.cnf
) >/dev/null 2>&1 || { echo "demo: could not make TLS certificates with openssl" >&2; exit 1; }
tls=(--tls-cert "$work/host.pem" --tls-key "$work/host.key" --ca "$work/ca.pem")

# Two free TCP ports for SIP/TLS.
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
bob_port=$(free_port)
alice_port=$(free_port)

# 2. Capture UDP on the loopback interface while the call runs (needs root).
cap_pid=""
if command -v tshark >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  tshark -i lo -f udp -w "$work/media.pcap" -F pcap -q >/dev/null 2>&1 &
  cap_pid=$!
  sleep 2
fi

say "== A secure call: alice -> bob over SIP/TLS (sips:) on 127.0.0.1, SRTP mandatory"
"$phone" --answer --bind "sips:127.0.0.1:$bob_port" "${tls[@]}" --srtp mandatory \
  --duration 30 --record "$work/bob-received.wav" "${listen[@]}" --json \
  > "$work/bob.json" 2> "$work/bob.err" &
bob_pid=$!
sleep 1
"$phone" --call "sips:bob@127.0.0.1:$bob_port" --bind "sips:127.0.0.1:$alice_port" "${tls[@]}" \
  --srtp mandatory --tone 440 --duration 8 --hold-after 3 --resume-after 5 \
  --dump-plaintext "$work/alice-plaintext.bin" --json \
  > "$work/alice.json" 2> "$work/alice.err"
alice_status=$?
wait "$bob_pid"; bob_status=$?; bob_pid=""
if [ -n "$cap_pid" ]; then sleep 1; kill -INT "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; cap_pid=""; fi

field() {  # field FILE EVENT KEY: a value from the last JSON line of that event
  grep "\"event\":\"$2\"" "$1" | tail -n 1 | sed -n "s/.*\"$3\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

say
say "What happened (from the phones' own event logs):"
for who in alice bob; do
  f="$work/$who.json"
  say "  $who: call $(field "$f" summary connected | sed 's/true/connected/;s/false/NOT connected/'),"\
" transport $(field "$f" summary transport), suite $(field "$f" summary suite) (tag $(field "$f" summary tag)),"\
" sent $(field "$f" summary packets_sent) / received $(field "$f" summary packets_received) RTP packets,"\
" $(field "$f" summary auth_failures) authentication failures"
done
say "  alice held the call after 3 s and resumed it after 5 s:"\
" $(grep -c '"event":"hold"' "$work/alice.json") hold, $(grep -c '"event":"resume"' "$work/alice.json") resume;"\
" bob saw the direction go $(grep '"event":"media-update"' "$work/bob.json" | sed -n 's/.*"direction":"\([a-z]*\)".*/\1/p' | paste -sd' ' -)"

say
say "Checks:"
[ "$alice_status" -eq 0 ] && [ "$bob_status" -eq 0 ]; check $? "both phones report the call did what was asked (exit 0)"
[ "$(field "$work/alice.json" summary suite)" = "$(field "$work/bob.json" summary suite)" ] \
  && [ -n "$(field "$work/alice.json" summary suite)" ]
check $? "both ends negotiated the same suite: $(field "$work/alice.json" summary suite)"
grep -q '"event":"secure-media"' "$work/alice.json" && grep -q '"event":"secure-media"' "$work/bob.json"
check $? "media was secure: each side authenticated the other's SRTP (the 'lock icon')"
[ "$(field "$work/alice.json" summary auth_failures)" = 0 ] && [ "$(field "$work/bob.json" summary auth_failures)" = 0 ]
check $? "zero authentication failures on both sides"
hz=$(field "$work/bob.json" summary dominant_hz)
[ "$hz" -ge 430 ] 2>/dev/null && [ "$hz" -le 450 ]
check $? "bob's received audio has its dominant frequency at ${hz} Hz (sent: 440 Hz)"
if command -v sox >/dev/null 2>&1 && [ -s "$work/bob-received.wav" ]; then
  secs=$(sox --i -D "$work/bob-received.wav" 2>/dev/null)
  say "         (recording: $(basename "$work/bob-received.wav"), ${secs:-?} s)"
fi

if [ -s "$work/media.pcap" ]; then
  ports=$(sed -n 's/.*"rtp_port":\([0-9]*\).*/\1/p' "$work/alice.json" "$work/bob.json" | paste -sd'|' -)
  filter=$(echo "$ports" | sed 's/\([0-9][0-9]*\)/udp.port==\1/g; s/|/ || /g')
  tshark -r "$work/media.pcap" -Y "$filter" -T fields -e udp.payload 2>/dev/null | tr -d ':' > "$work/media.hex"
  npk=$(wc -l < "$work/media.hex")
  # Every 16-byte window of the plaintext payloads alice sent, as hex.
  od -An -tx1 -v "$work/alice-plaintext.bin" | tr -d ' \n' \
    | awk '{ for (i = 1; i + 31 <= length($0); i += 2) print substr($0, i, 32) }' | sort -u > "$work/windows.txt"
  nwin=$(wc -l < "$work/windows.txt")
  found=$(grep -c -F -f "$work/windows.txt" "$work/media.hex")
  control=$(od -An -tx1 -v "$work/alice-plaintext.bin" | tr -d ' \n' | grep -c -F -f "$work/windows.txt")
  [ "$npk" -gt 100 ] && [ "$found" -eq 0 ] && [ "$control" -eq 1 ]
  check $? "capture of the media ports: $npk UDP packets, $found contain any 16-byte run of the $nwin distinct plaintext windows (control: the checker finds them in the plaintext itself)"
else
  say "  [skip] media capture (needs root and tshark)"
fi

say
if [ $ok -eq 1 ]; then say "Secure call demo: everything checked out."; exit 0; fi
say "Secure call demo: something failed; logs: alice.err / bob.err (use --keep DIR to keep them)."
tail -n 5 "$work/alice.err" "$work/bob.err"
exit 1
