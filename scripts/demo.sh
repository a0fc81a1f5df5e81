#!/usr/bin/env bash
# The srtpsdes demo: installs what is missing, builds, then
#   1. makes a fresh a=crypto key with the sdes-crypto CLI and parses it back
#      (the key itself is only ever printed by `generate`, never by `parse`);
#   2. runs a gst-launch loopback: a 440 Hz tone -> PCMU -> RTP -> srtpsdesenc ->
#      srtpsdesdec -> WAV, keyed with that a=crypto line, and reports what came out.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build -Dtests=false
fi
meson compile -C build

cli=build/sip/crypto/sdes-crypto
echo
echo "== 1. a=crypto lines (RFC 4568)"
line=$("$cli" generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1 --lifetime 2^31)
echo "generated a fresh key for AES_CM_128_HMAC_SHA1_80; parsed back (key redacted):"
"$cli" parse "a=crypto:$line" | sed 's/^/    /'
echo "a malformed line gets a specific error:"
"$cli" parse "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^20|1:0" 2>&1 | sed 's/^/    /' || true

if [ -f build/gst/libgstsrtpsdes.so ] && [ -x examples/gst-loopback.sh ]; then
  echo
  echo "== 2. SRTP loopback through srtpsdesenc ! srtpsdesdec"
  GST_PLUGIN_PATH="$(pwd)/build/gst" examples/gst-loopback.sh "$line"
fi
