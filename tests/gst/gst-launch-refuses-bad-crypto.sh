#!/bin/bash
# srtpsdes — gst-launch-1.0 with a refused 'crypto' value exits non-zero and
# prints why (never the key), for srtpsdesenc and srtpsdesdec.
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run by meson with GST_PLUGIN_PATH_1_0 pointing at the built plugin.
set -u

# 29 bytes where AES_CM_128_HMAC_SHA1_80 needs 30 (RFC 4568 §6.2.1).
key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=
line="1 AES_CM_128_HMAC_SHA1_80 inline:$key"
want="needs a 30-byte key||salt, got 29 bytes"
status=0

check () {
  local what=$1; shift
  local out rc
  out=$(timeout 60 gst-launch-1.0 "$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
    echo "FAIL $what: gst-launch-1.0 exited $rc"; echo "$out"; status=1; return
  fi
  if ! grep -qF "$want" <<<"$out"; then
    echo "FAIL $what: no \"$want\" in the output"; echo "$out"; status=1; return
  fi
  if grep -qF "$key" <<<"$out"; then
    echo "FAIL $what: the key is in the output"; status=1; return
  fi
  echo "ok $what: exit $rc, $(grep -F "$want" <<<"$out" | head -1)"
}

check srtpsdesenc audiotestsrc num-buffers=5 ! mulawenc ! rtppcmupay ! \
  srtpsdesenc "crypto=$line" ! fakesink
check srtpsdesdec fakesrc num-buffers=5 ! srtpsdesdec "crypto=$line" ! fakesink
exit $status
