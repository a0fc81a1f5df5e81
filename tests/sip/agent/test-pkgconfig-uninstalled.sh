#!/bin/sh
# srtpsdes — a program built only from `pkg-config --cflags --libs
# srtpsdes-1.0` against the build tree's uninstalled .pc file compiles,
# links and runs: the .pc names the include directories of the agent,
# engine and crypto headers and the library's directory.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: test-pkgconfig-uninstalled.sh BUILD_ROOT B_SANITIZE CC [CC ARGS...]
# (B_SANITIZE: meson's b_sanitize, "none" or e.g. "address,undefined": a
# sanitized library needs the program built with the same runtime.)
set -eu

build_root=$1
sanitize=$2
shift 2
san_flags=
if [ "$sanitize" != none ]; then
  san_flags="-fsanitize=$sanitize"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PKG_CONFIG_PATH="$build_root/meson-uninstalled"
export PKG_CONFIG_PATH
cflags=$(pkg-config --cflags srtpsdes-1.0)
libs=$(pkg-config --libs srtpsdes-1.0)

cat > "$work/tiny.c" <<'PROGRAM'
#include <sdes-crypto.h>
#include <sdes-engine.h>
#include <sdes-agent.h>

int
main (void)
{
  SdesSession *session = sdes_session_new ();
  SdesAgent *agent = sdes_agent_new (NULL);
  gchar *redacted = sdes_crypto_redact_text ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x");
  int ok = SDES_IS_SESSION (session) && SDES_IS_AGENT (agent) &&
           sdes_call_end_reason_get_type () != 0 && redacted != NULL;

  g_free (redacted);
  g_object_unref (agent);
  g_object_unref (session);
  return ok ? 0 : 1;
}
PROGRAM

# shellcheck disable=SC2086 # pkg-config output is a list of words
"$@" $san_flags -o "$work/tiny" "$work/tiny.c" $cflags $libs
libdir=$(pkg-config --variable=prefix srtpsdes-1.0)/sip
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/tiny"
echo "ok: compiled and ran with: $cflags $libs"
