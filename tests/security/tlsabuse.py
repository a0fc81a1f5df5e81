# srtpsdes — TLS callers that never ACK, then an overload burst, against an
# answering agent; shared by tests/security/test-tls-no-ack.py and
# scripts/tls-soak.sh.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
import concurrent.futures
import os
import tempfile
import time

import sipabuse as sa


def sockets_bound(f):
    """Within 10 % of the baseline, and at least 2 sockets of slack: the
    BYEs of the ACK timeouts share one connection to the callers' port,
    which Sofia keeps open while it is not idle."""
    return max(f["base_sockets"] * 1.1, f["base_sockets"] + 2)


def run(exe, calls, burst, settle=100, log=print, env=None):
    """Returns a dict of figures; log(str) gets progress lines."""
    tmp = tempfile.TemporaryDirectory(prefix="srtpsdes-tls-")
    cert, key = sa.make_cert(tmp.name)
    port, tls_port = sa.free_port(), sa.free_port()
    agent = sa.Agent(exe, port, tls_port, cert, key, env=env)
    ctx = sa.tls_context()
    # The burst's callers name a port that accepts and holds connections.
    sink = sa.Sink()
    f = {"calls": calls, "burst": burst}
    try:
        f["warm_status"] = sa.stream_call(tls_port, "warm", True, ctx)
        time.sleep(1)
        base = agent.stats()
        f.update(base_heap=base["heap"], base_ssl=base["ssl_live"],
                 base_rss_kb=agent.rss_kb(), base_sockets=agent.sockets())
        log("baseline: heap %d B, RSS %d kB, %d sockets, %d SSL objects"
            % (base["heap"], f["base_rss_kb"], f["base_sockets"], base["ssl_live"]))

        t0 = time.monotonic()
        st = [sa.stream_call(tls_port, "noack-%d" % i, False, ctx) for i in range(calls)]
        f["noack_answered"] = st.count(200)
        log("%d TLS INVITEs closed without ACK in %.1f s: %d answered 200"
            % (calls, time.monotonic() - t0, f["noack_answered"]))

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            st = list(pool.map(lambda i: sa.stream_call(tls_port, "burst-%d" % i, False, ctx,
                                                        timeout=10.0, via_port=sink.port), range(burst)))
        f["burst_answered"] = st.count(200)
        f["burst_seconds"] = time.monotonic() - t0
        peak = agent.stats()
        f.update(peak_heap=peak["heap"], peak_rss_kb=agent.rss_kb(),
                 peak_sockets=agent.sockets())
        log("burst of %d in %.1f s: %d answered; heap %d B, RSS %d kB, %d sockets"
            % (burst, f["burst_seconds"], f["burst_answered"], peak["heap"],
               f["peak_rss_kb"], f["peak_sockets"]))

        t0 = time.monotonic()
        settled = None
        while time.monotonic() - t0 < settle:
            time.sleep(5)
            s = agent.stats()
            rss, socks = agent.rss_kb(), agent.sockets()
            log("+%3.0f s: calls ended %d/%d, heap %d B, RSS %d kB, %d sockets, "
                "SSL objects created %d, live %d"
                % (time.monotonic() - t0, s["ended"], s["calls"], s["heap"], rss, socks,
                   s["ssl_new"], s["ssl_live"]))
            if settled is None and s["ended"] == s["calls"] and socks <= sockets_bound(f):
                settled = time.monotonic() - t0
        s = agent.stats()
        f.update(end_heap=s["heap"], end_rss_kb=agent.rss_kb(), end_sockets=agent.sockets(),
                 ssl_new=s["ssl_new"], ssl_live=s["ssl_live"], ended=s["ended"],
                 answered=s["calls"], settled_seconds=settled)

        ok = 0
        for i in range(20):
            t = time.monotonic()
            ok += sa.stream_call(tls_port, "later-%d" % i, True, ctx) == 200
            time.sleep(max(0.0, 0.1 - (time.monotonic() - t)))
        f["later_ok"] = ok
        log("later valid TLS calls at 10/s: %d/20 completed (INVITE 200, ACK, BYE 200)" % ok)
    finally:
        f["sigterm_seconds"] = agent.terminate()
        log("SIGTERM to exit: %s s" % (("%.2f" % f["sigterm_seconds"])
                                      if f["sigterm_seconds"] is not None else "killed after 30"))
        f["sink_connections"] = len(sink.held)
        log("connections the agent opened to the callers' port: %d" % f["sink_connections"])
        sink.close()
        tmp.cleanup()
    return f
