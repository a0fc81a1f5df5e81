# srtpsdes — a mixed flood against an answering agent: random UDP datagrams,
# oversized and malformed INVITEs, valid calls over UDP and TCP; RSS and open
# descriptors sampled every 10 s. Shared by tests/security/test-flood-soak.py
# and scripts/flood-soak.sh.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
import random
import socket
import time

import sipabuse as sa

SAMPLE_S = 10


def run(exe, seconds, warmup, log=print, env=None):
    """Floods for seconds; returns a dict of figures. RSS is judged against
    the first sample after warmup seconds."""
    port = sa.free_port()
    agent = sa.Agent(exe, port, 0, None, None, env=env)
    rng = random.Random(20261130)
    g = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    g.bind(("127.0.0.1", 0))
    dst = ("127.0.0.1", port)
    f = {"seconds": seconds, "warmup": warmup, "samples": [], "calls": 0, "calls_ok": 0,
         "datagrams": 0}
    t0 = time.monotonic()
    f["base_rss_kb"], f["base_fds"] = agent.rss_kb(), agent.fds()
    log("baseline: RSS %d kB, %d fds" % (f["base_rss_kb"], f["base_fds"]))
    next_sample = t0 + SAMPLE_S
    tick = 0
    try:
        while time.monotonic() - t0 < seconds:
            tick += 1
            for _ in range(20):
                try:
                    g.sendto(sa.garbage(rng, port, "g-%d" % f["datagrams"]), dst)
                except OSError:
                    pass
                f["datagrams"] += 1
            if tick % 10 == 0:
                status = sa.stream_call(port, "t-%d" % tick, True)
            else:
                status = sa.udp_call(port, "u-%d" % tick)
            f["calls"] += 1
            f["calls_ok"] += status == 200
            now = time.monotonic()
            if now >= next_sample:
                next_sample += SAMPLE_S
                s = (round(now - t0), agent.rss_kb(), agent.fds())
                f["samples"].append(s)
                log("+%4d s: RSS %6d kB, %3d fds, %d calls (%d ok), %d hostile datagrams"
                    % (s[0], s[1], s[2], f["calls"], f["calls_ok"], f["datagrams"]))
            time.sleep(max(0.0, 0.1 - (time.monotonic() - now)))
    finally:
        g.close()
        after = [s for s in f["samples"] if s[0] >= warmup]
        if after:
            f["ref_rss_kb"] = after[0][1]
            f["max_rss_kb"] = max(s[1] for s in after)
            f["max_fds"] = max(s[2] for s in after)
            f["rss_within_10pct"] = f["max_rss_kb"] <= f["ref_rss_kb"] * 1.1
        f["alive"] = agent.proc.poll() is None
        f["sigterm_seconds"] = agent.terminate()
    return f
