#!/usr/bin/env bash
# The srtpsdes demo. Installs what is missing, builds, then runs one secure call
# a person can watch: two sdes-phone instances call each other over SIP/TLS on
# 127.0.0.1 with SRTP mandatory (440 Hz tone, hold and resume in the middle),
# and the script reports the negotiated suite, that media was secure, packet
# counts, the received tone's frequency and a plaintext check of a capture.
#
#   ./scripts/demo.sh [--listen] [--keep DIR]
#     --listen    play the received tone on the speakers (autoaudiosink)
#     --keep DIR  keep certificates, capture, recording and event logs in DIR
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build -Dtests=false
fi
meson compile -C build

echo
echo "== a=crypto lines (RFC 4568) with the sdes-crypto CLI"
line=$(build/sip/crypto/sdes-crypto generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1 --lifetime 2^31)
echo "a fresh key, parsed back (the CLI never prints a key it parses):"
build/sip/crypto/sdes-crypto parse "a=crypto:$line" | sed 's/^/    /'
echo

if [ -x build/examples/sdes-phone ]; then
  exec bash examples/secure-call-demo.sh build "$@"
fi
echo "sdes-phone is not built in this configuration (needs GStreamer and Sofia-SIP)." >&2
exit 1
