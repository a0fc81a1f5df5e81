#!/usr/bin/env bash
# CALLS short calls through ONE answering sdes-rig (tools/rig/) on 127.0.0.1
# UDP, SRTP AES_CM_128_HMAC_SHA1_80, PCMU: caller rigs place them at RATE
# calls/s, DURATION s of media each, at most CONCURRENT at once. Every N calls
# the answerer has reported, its RSS (VmRSS), open descriptors (/proc/PID/fd)
# and threads are sampled and printed. PASS: 0 failed calls on both sides,
# and every sample after the first (the warm-up) within 5 % of the first
# for RSS and descriptors, and the same thread count. The CI version is
# tests/rig/test-rig-soak.py.
#
#   scripts/rig-soak.sh [CALLS] [--every N] [--rate R] [--duration S]
#                       [--concurrent C] [--callers K] [--out DIR]
#   defaults: 100000 calls, every CALLS/10, 250 calls/s, 1 s, 400, 1 caller
#
# Warm-up: Sofia keeps a call's transactions 64*T1 = 32 s after their final
# response (RFC 3261 §17.2), so the answerer's RSS climbs for the first
# 32 s of traffic and then stays level; the first sample must come later
# than that (at 250 calls/s, 10,000 calls take 40 s). The script says so
# when it does not.
#
# Environment: BUILD=dir (default build-release, a release build made here:
# RSS under ASan measures the sanitizer, not the rig).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=100000
every=
rate=250
duration=1
concurrent=400
callers=1
out=
while [ $# -gt 0 ]; do
  case "$1" in
    --every) every=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --concurrent) concurrent=$2; shift 2 ;;
    --callers) callers=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "rig-soak.sh: unknown option $1" >&2; exit 2 ;;
    *) calls=$1; shift ;;
  esac
done
every=${every:-$((calls / 10))}
if [ "$every" -lt 1 ]; then
  echo "rig-soak.sh: --every must be at least 1" >&2
  exit 2
fi
build=${BUILD:-build-release}
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/rig-soak.XXXXXX")}
if [ ! -d "$build" ]; then
  nice -n 10 meson setup "$build" --buildtype=release >/dev/null
fi
nice -n 10 meson compile -C "$build" -j 2 sdes-rig gstsrtpsdes >/dev/null
export GST_PLUGIN_PATH="$PWD/$build/gst"
exec python3 - "$build/tools/rig/sdes-rig" "$calls" "$every" "$rate" "$duration" "$concurrent" \
  "$callers" "$out" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "rig"))
import rigsoak
exe = sys.argv[1]
calls, every = int(sys.argv[2]), int(sys.argv[3])
rate, duration = float(sys.argv[4]), float(sys.argv[5])
concurrent, callers, out = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
print("rig-soak: %d calls, %.0f/s, %.1f s each, at most %d at once, %d caller(s); "
      "answerer sampled every %d calls; output in %s"
      % (calls, rate, duration, concurrent, callers, every, out), flush=True)
f = rigsoak.run(exe, calls, every, out, rate=rate, concurrent=concurrent, duration=duration,
                callers=callers, log=lambda m: print(m, flush=True))
with open(os.path.join(out, "result.json"), "w") as r:
    json.dump(f, r, indent=1)
a = f["answer_summary"] or {}
print("elapsed %.1f s; answerer: %d calls reported, %s failed, %s calls/s, setup p50/p95/p99 %s ms, "
      "concurrent peak %s, threads peak %s"
      % (f["elapsed_s"], f["answer_calls"], f["answer_failed"], a.get("calls_per_s"),
         "/".join(str(a.get("setup_ms", {}).get(p)) for p in ("p50", "p95", "p99")),
         a.get("concurrent_peak"), a.get("threads_peak")))
print("callers: %d calls reported, %s failed; failure causes: %s"
      % (f["caller_calls"], f["caller_failed"], f["failure_causes"] or "none"))
s = f["samples"]
if s and s[0]["elapsed_s"] < 35:
    print("note: the first sample came %.1f s into the traffic, within Sofia's 32 s of "
          "transactions: a lower rate or a larger --every makes it the level" % s[0]["elapsed_s"])
if len(s) >= 2:
    worst = max(s[1:], key=lambda x: abs(x["rss_kb"] - s[0]["rss_kb"]))
    print("RSS after warm-up: %d kB at %d calls; furthest off: %d kB at %d calls (%+.2f %%)"
          % (s[0]["rss_kb"], s[0]["calls"], worst["rss_kb"], worst["calls"],
             100.0 * (worst["rss_kb"] - s[0]["rss_kb"]) / s[0]["rss_kb"]))
problems = rigsoak.judge(f, pct=5.0)
print("samples: %s" % f["samples_path"])
if problems:
    print("RESULT: FAIL: " + "; ".join(problems))
    sys.exit(1)
print("RESULT: PASS: 0 failed calls; RSS and fds within 5 % of the first sample, threads equal")
PY
