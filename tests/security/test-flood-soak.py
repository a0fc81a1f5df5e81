#!/usr/bin/env python3
# srtpsdes — 60 s of mixed flood (hostile UDP datagrams, oversized and
# malformed INVITEs, valid UDP and TCP calls) against an answering agent;
# the short version of scripts/flood-soak.sh.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Asserted: the agent survives (an INVITE whose Contact nta could not use
# crashed it 32 s later, sip/agent/sdes-call-incoming.c); every valid call completes during the flood; open descriptors
# stay within 10 % (or 3) of the baseline; after a 40 s warm-up RSS stays
# within 10 % of its first sample (glibc builds only: under a sanitizer
# RSS is the sanitizer's); SIGTERM exits in under 5 s. TAP output.
#   argv: build dir
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floodsoak  # noqa: E402

build = sys.argv[1]
exe = os.path.join(build, "tests", "security", "sdes-answer-agent")
env = dict(os.environ)
env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
sanitized = "-fsanitize" in open(os.path.join(build, "build.ninja")).read()

n = 0
failures = 0


def ok(cond, what):
    global n, failures
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what), flush=True)
    if not cond:
        failures += 1


print("TAP version 13", flush=True)
f = floodsoak.run(exe, 60, warmup=40, log=lambda s: print("# " + s, flush=True), env=env)
ok(f["alive"], "the agent survived the flood")
ok(f["calls"] > 100 and f["calls_ok"] == f["calls"],
   "every valid call completed under the flood (%d/%d, %d hostile datagrams)"
   % (f["calls_ok"], f["calls"], f["datagrams"]))
ok(f["max_fds"] <= max(f["base_fds"] * 1.1, f["base_fds"] + 3),
   "open descriptors stayed at the baseline (%d, max %d)" % (f["base_fds"], f["max_fds"]))
if sanitized:
    print("ok %d - # SKIP RSS under a sanitizer (%d -> %d kB)"
          % (n + 1, f["ref_rss_kb"], f["max_rss_kb"]))
    n += 1
else:
    ok(f["rss_within_10pct"], "RSS after the warm-up stayed within 10 %% (%d -> max %d kB)"
       % (f["ref_rss_kb"], f["max_rss_kb"]))
ok(f["sigterm_seconds"] is not None and f["sigterm_seconds"] < 5.0,
   "SIGTERM exits in under 5 s (%s s)" % f["sigterm_seconds"])
print("1..%d" % n)
sys.exit(1 if failures else 0)
