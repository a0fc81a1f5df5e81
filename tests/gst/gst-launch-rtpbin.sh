#!/usr/bin/env bash
# Runs the rtpbin send/receive block of docs/elements.md as written (the
# fenced block after its "tested by" marker), on free ports instead of
# 5004/5005/5007, and checks what it promises: out.wav holds the 440 Hz
# tone, the receiver's decoder authenticated RTP and SRTCP, the sender's
# decoder the receiver's SRTCP. No key is printed.  $1 = docs/elements.md
set -euo pipefail
doc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

awk '/tested by tests\/gst\/gst-launch-rtpbin.sh/ { on = 1; next }
     on && /^```sh/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$doc" > block.sh
grep -q "gst-launch-1.0" block.sh || { echo "no block after the marker in $doc"; exit 1; }

port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rtp=$(port); rtcp=$(port); back=$(port)
sed -i "s/port=5004/port=$rtp/g; s/port=5005/port=$rtcp/g; s/port=5007/port=$back/g" block.sh

bash block.sh > out.log 2>&1 || true
grep -v "inline:" out.log | grep -E "srtpsdes-secure|ERROR|WARNING" || true

fail=0
check() { if eval "$1"; then echo "ok - $2"; else echo "FAIL - $2"; fail=1; fi; }
check 'grep -q "\"rdec\" (element): srtpsdes-secure.*rtcp=(boolean)false" out.log' \
  "receiver authenticated the sender's SRTP"
check 'grep -q "\"rdec\" (element): srtpsdes-secure.*rtcp=(boolean)true" out.log' \
  "receiver authenticated the sender's SRTCP"
check 'grep -q "\"sdec\" (element): srtpsdes-secure.*rtcp=(boolean)true" out.log' \
  "sender authenticated the receiver's SRTCP"
check '! grep -q "inline:" out.log' "no key in the output"
size=$(stat -c %s out.wav 2>/dev/null || echo 0)
# 8 s at 8 kHz, 16-bit mono is 128 000 bytes; allow for late start and loss.
check '[ "$size" -gt 64000 ]' "out.wav holds $size bytes"
if command -v sox >/dev/null 2>&1; then
  hz=$(sox out.wav -n stat 2>&1 | sed -n 's/^Rough[ ]*frequency:[ ]*\([0-9]*\).*/\1/p')
  check '[ -n "$hz" ] && [ "$hz" -ge 425 ] && [ "$hz" -le 455 ]' "out.wav is a tone at ${hz:-?} Hz (440 sent)"
fi
exit $fail
