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

# crypto=@FILE: the value from a file (not in ps); a refused value there and
# a missing file are refused the same way, a good one is used.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '# key of the test\n%s\n' "$line" > "$work/bad.key"
check "srtpsdesenc crypto=@FILE (refused value)" audiotestsrc num-buffers=5 ! mulawenc ! \
  rtppcmupay ! srtpsdesenc "crypto=@$work/bad.key" ! fakesink
want="$work/missing.key: No such file or directory"
check "srtpsdesdec crypto=@FILE (missing file)" fakesrc num-buffers=5 ! \
  srtpsdesdec "crypto=@$work/missing.key" ! fakesink
good="1 AES_CM_128_HMAC_SHA1_80 inline:$(head -c 30 /dev/urandom | base64)"
printf '%s\n' "$good" > "$work/good.key"
out=$(timeout 60 gst-launch-1.0 audiotestsrc num-buffers=50 ! mulawenc ! rtppcmupay ! \
  srtpsdesenc "crypto=@$work/good.key" ! srtpsdesdec "crypto=@$work/good.key" ! \
  rtppcmudepay ! fakesink silent=false -v 2>&1)
rc=$?
n=$(grep -c "fakesink0: last-message = chain" <<<"$out")
if [ "$rc" -eq 0 ] && [ "$n" -eq 50 ]; then
  echo "ok crypto=@FILE on both elements: 50 of 50 packets through"
else
  echo "FAIL crypto=@FILE on both elements: exit $rc, $n packets"; status=1
fi
exit $status
