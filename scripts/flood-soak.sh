#!/usr/bin/env bash
# A mixed flood against an answering agent (tests/security/sdes-answer-agent)
# on 127.0.0.1 for MINUTES: every 100 ms 20 hostile UDP datagrams (random
# bytes, a 60 KB SDP attribute, an INVITE with 8 random bytes changed, an
# 8 KB header) and one valid call (INVITE, ACK, BYE; every tenth over TCP).
# RSS and open descriptors are sampled every 10 s; after the warm-up (the
# first fifth of the run, at least 60 s: Sofia keeps each finished
# transaction 32 s) RSS must stay within 10 % of its first sample.
# The CI version is tests/security/test-flood-soak.py (60 s).
#
#   scripts/flood-soak.sh [MINUTES]     default 10
#
# Environment: BUILD=dir (default build-soak, a plain debugoptimized build
# made here: RSS under ASan measures the sanitizer, not the agent).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
build=${BUILD:-build-soak}
if [ ! -d "$build" ]; then
  nice -n 10 meson setup "$build" --buildtype=debugoptimized -Dwerror=false >/dev/null
fi
nice -n 10 meson compile -C "$build" -j 2 tests/security/sdes-answer-agent >/dev/null
exec python3 - "$build/tests/security/sdes-answer-agent" "$minutes" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "security"))
import floodsoak
exe, minutes = sys.argv[1], float(sys.argv[2])
seconds = int(minutes * 60)
f = floodsoak.run(exe, seconds, warmup=max(60, seconds // 5))
print("calls: %d, completed: %d; hostile datagrams: %d" % (f["calls"], f["calls_ok"], f["datagrams"]))
print("RSS: baseline %d kB, after warm-up %d kB, max after warm-up %d kB (%+.1f %%); fds max %d"
      % (f["base_rss_kb"], f["ref_rss_kb"], f["max_rss_kb"],
         100.0 * (f["max_rss_kb"] - f["ref_rss_kb"]) / f["ref_rss_kb"], f["max_fds"]))
print("SIGTERM to exit: %s s" % f["sigterm_seconds"])
print("agent alive at the end: %s" % f["alive"])
ok = f["alive"] and f["rss_within_10pct"] and f["calls_ok"] == f["calls"] and f["sigterm_seconds"] is not None
print("RESULT: %s" % ("PASS: RSS stayed within 10 %" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
