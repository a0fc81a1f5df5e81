#!/usr/bin/env bash
# TLS callers that close after the 200 and never ACK, against an answering
# agent (tests/security/sdes-answer-agent) on 127.0.0.1: CALLS one after the
# other, then a burst of CALLS/2 from 32 threads whose Via names a port that
# accepts connections and never answers TLS; prints heap in use, RSS,
# sockets and OpenSSL SSL objects every 5 s until all are back (at most
# 150 s), then 20 valid calls at 10/s and the time SIGTERM takes.
# PASS: every call ended, every SSL object freed, sockets back to the
# baseline, heap in use within 10 % of the baseline plus 1 MB (tables
# Sofia sizes to the peak of concurrent calls), 20/20 later calls, SIGTERM
# under 5 s. The CI version is tests/security/test-tls-no-ack.py.
#
#   scripts/tls-soak.sh [CALLS]     default 2000
#
# Environment: BUILD=dir (default build-soak: a plain debugoptimized build
# made here, so that glibc's heap figures are readable; an ASan build
# reports heap 0).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-2000}
build=${BUILD:-build-soak}
if [ ! -d "$build" ]; then
  nice -n 10 meson setup "$build" --buildtype=debugoptimized -Dwerror=false >/dev/null
fi
nice -n 10 meson compile -C "$build" -j 2 tests/security/sdes-answer-agent >/dev/null
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
exec python3 - "$build/tests/security/sdes-answer-agent" "$calls" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "security"))
import tlsabuse
exe, calls = sys.argv[1], int(sys.argv[2])
f = tlsabuse.run(exe, calls, calls // 2, settle=150)
print(json.dumps(f, indent=1))
made = f["ssl_new"] - f["base_ssl"]
total = calls + calls // 2
print("SSL objects per call never ACKed: %.2f (%d for %d calls)" % (made / total, made, total))
if f["base_heap"]:
    print("heap in use: %.1f MB -> %.1f MB (peak %.1f MB); RSS %.1f MB -> %.1f MB (peak %.1f MB)"
          % (f["base_heap"] / 1e6, f["end_heap"] / 1e6, f["peak_heap"] / 1e6,
             f["base_rss_kb"] / 1e3, f["end_rss_kb"] / 1e3, f["peak_rss_kb"] / 1e3))
print("settled %s s after the burst: sockets %d -> %d, SSL objects live %d"
      % (f["settled_seconds"], f["base_sockets"], f["end_sockets"], f["ssl_live"]))
heap_ok = not f["base_heap"] or f["end_heap"] <= f["base_heap"] * 1.1 + 1024 * 1024
ok = (made <= 12 * total and f["ssl_live"] <= f["base_ssl"] and heap_ok
      and f["end_sockets"] <= f["base_sockets"] and f["later_ok"] == 20
      and f["ended"] == f["answered"]
      and f["sigterm_seconds"] is not None and f["sigterm_seconds"] < 5)
print("RESULT: %s" % ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
