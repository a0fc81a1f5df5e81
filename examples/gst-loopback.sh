#!/usr/bin/env bash
# srtpsdes — the issue's one-liner: PCMU audio through srtpsdesenc and
# srtpsdesdec keyed by the same a=crypto value, written to a WAV file.
#
# Usage: examples/gst-loopback.sh [PLUGIN_DIR] [OUT.wav]
#   PLUGIN_DIR defaults to $GST_PLUGIN_PATH_1_0 / $GST_PLUGIN_PATH (the
#   build's gst/ directory). The key comes from the sdes-crypto CLI
#   ($SDES_CRYPTO_TOOL or build*/sip/crypto/sdes-crypto) when present, else
#   from openssl rand -base64 30. The key is never printed.
set -euo pipefail

plugin_dir="${1:-${GST_PLUGIN_PATH_1_0:-${GST_PLUGIN_PATH:-}}}"
out="${2:-}"
if [ -z "$plugin_dir" ] || [ ! -d "$plugin_dir" ]; then
  echo "usage: $0 PLUGIN_DIR [OUT.wav]  (or set GST_PLUGIN_PATH)" >&2
  exit 2
fi
export GST_PLUGIN_PATH_1_0="$plugin_dir"
export GST_PLUGIN_PATH="$plugin_dir"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
[ -n "$out" ] || out="$workdir/out.wav"

suite=AES_CM_128_HMAC_SHA1_80
crypto=""
tool="${SDES_CRYPTO_TOOL:-}"
if [ -z "$tool" ]; then
  here="$(cd "$(dirname "$0")/.." && pwd)"
  for t in "$plugin_dir/../sip/crypto/sdes-crypto" "$here"/build*/sip/crypto/sdes-crypto; do
    if [ -x "$t" ]; then tool="$t"; break; fi
  done
fi
if [ -n "$tool" ] && [ -x "$tool" ]; then
  # "generate [--suite S]" prints one a=crypto value (see sdes-crypto --help).
  crypto="$("$tool" generate --suite "$suite" 2>/dev/null | tail -n 1 || true)"
  crypto="${crypto#a=crypto:}"
fi
case "$crypto" in
  *inline:*) key_source="sdes-crypto" ;;
  *)
    crypto="1 $suite inline:$(openssl rand -base64 30)"
    key_source="openssl rand"
    ;;
esac
echo "key from $key_source (not shown)"

gst-launch-1.0 -q audiotestsrc num-buffers=500 ! mulawenc ! rtppcmupay ! \
  srtpsdesenc crypto="$crypto" ! srtpsdesdec crypto="$crypto" ! \
  rtppcmudepay ! mulawdec ! wavenc ! filesink location="$out"

# 500 buffers of 1024 samples at 44.1 kHz, 16-bit mono: about 1 MB of audio.
size=$(stat -c %s "$out")
echo "wrote $out: $size bytes"
if [ "$size" -lt 500000 ]; then
  echo "FAIL: output too small" >&2
  exit 1
fi
if command -v sox >/dev/null 2>&1; then
  rms=$(sox "$out" -n stat 2>&1 | awk '/RMS     amplitude/ {print $3}')
  echo "sox RMS amplitude: $rms"
  awk -v r="$rms" 'BEGIN { exit !(r > 0.1) }' || { echo "FAIL: silent output" >&2; exit 1; }
fi
echo "OK"
