# srtpsdes — TLS callers that never ACK, then an overload burst, against an
# answering agent; shared by tests/security/test-tls-no-ack.py and
# scripts/tls-soak.sh.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
import concurrent.futures
import os
import socket
import tempfile
import time

import sipabuse as sa


def sockets_bound(f):
    """Within 10 % of the baseline, and at least 2 sockets of slack: the
    BYEs of the ACK timeouts share one connection to the callers' port,
    which Sofia keeps open while it is not idle."""
    return max(f["base_sockets"] * 1.1, f["base_sockets"] + 2)


def abuse_round(agent, tls_port, ctx, sink, calls, burst, settle, f, log):
    """CALLS TLS INVITEs closed without ACK one after the other, then a burst
    of BURST from 32 threads whose Via names the sink's port; then up to
    SETTLE s until every call ended, the sockets and the SSL objects are
    back to the baseline in f, and the heap stopped shrinking."""
    r = {}
    t0 = time.monotonic()
    st = [sa.stream_call(tls_port, "noack-%d" % i, False, ctx) for i in range(calls)]
    r["noack_answered"] = st.count(200)
    log("%d TLS INVITEs closed without ACK in %.1f s: %d answered 200"
        % (calls, time.monotonic() - t0, r["noack_answered"]))

    t0 = time.monotonic()
    def one(i):
        try:
            return sa.stream_call(tls_port, "burst-%d" % i, False, ctx, timeout=10.0,
                                  via_port=sink.port)
        except OSError:   # a handshake or answer that took over 10 s
            return None

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        st = list(pool.map(one, range(burst)))
    r["burst_answered"] = st.count(200)
    r["burst_timeouts"] = st.count(None)
    r["burst_seconds"] = time.monotonic() - t0
    peak = agent.stats()
    r.update(peak_heap=peak["heap"], peak_rss_kb=agent.rss_kb(), peak_sockets=agent.sockets())
    log("burst of %d in %.1f s: %d answered, %d timed out; heap %d B, RSS %d kB, %d sockets"
        % (burst, r["burst_seconds"], r["burst_answered"], r["burst_timeouts"], peak["heap"],
           r["peak_rss_kb"], r["peak_sockets"]))

    t0 = time.monotonic()
    settled = None
    last_heap = None
    while time.monotonic() - t0 < settle:
        time.sleep(5)
        s = agent.stats()
        rss, socks = agent.rss_kb(), agent.sockets()
        log("+%3.0f s: calls ended %d/%d, heap %d B, RSS %d kB, %d sockets, "
            "SSL objects created %d, live %d"
            % (time.monotonic() - t0, s["ended"], s["calls"], s["heap"], rss, socks,
               s["ssl_new"], s["ssl_live"]))
        back = (s["ended"] == s["calls"] and socks <= f["base_sockets"]
                and s["ssl_live"] <= f["base_ssl"])
        if settled is None and back:
            settled = time.monotonic() - t0
        if back and last_heap is not None and s["heap"] >= last_heap - 4096:
            break
        last_heap = s["heap"] if back else None
    s = agent.stats()
    r.update(end_heap=s["heap"], end_rss_kb=agent.rss_kb(), end_sockets=agent.sockets(),
             ssl_new=s["ssl_new"], ssl_live=s["ssl_live"], ended=s["ended"],
             answered=s["calls"], settled_seconds=settled)
    return r


def run(exe, calls, burst, settle=100, log=print, env=None, rounds=1):
    """Returns a dict of figures (those of the last round, and "rounds": one
    dict per round); log(str) gets progress lines."""
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
        # The warm call's connection is closed by us; the agent frees its
        # SSL object at its next housekeeping tick (10 s).
        t0 = time.monotonic()
        while True:
            time.sleep(1)
            base = agent.stats()
            if base["ssl_live"] == 0 or time.monotonic() - t0 > 20:
                break
        f.update(base_heap=base["heap"], base_ssl=base["ssl_live"],
                 base_rss_kb=agent.rss_kb(), base_sockets=agent.sockets())
        log("baseline: heap %d B, RSS %d kB, %d sockets, %d SSL objects"
            % (base["heap"], f["base_rss_kb"], f["base_sockets"], base["ssl_live"]))

        # A TLS connection kept open across the abuse and the agent's sweeps
        # of the SSL objects Sofia forgets: it must still carry a call.
        keep = ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_port), timeout=5.0))
        f["kept_first"] = sa.call_on(keep, tls_port, "kept-1", True)
        # From here the baseline includes that connection: its socket and SSL object.
        f["base_sockets"] += 1
        f["base_ssl"] += 1
        # Connections to the TLS port that never start a handshake (10 say
        # nothing, 5 send half a TLS record header): the agent closes them.
        silent = []
        for i in range(15):
            c = socket.create_connection(("127.0.0.1", tls_port), timeout=5.0)
            if i >= 10:
                c.sendall(b"\x16\x03")
            silent.append(c)
        f["rounds"] = []
        for r in range(rounds):
            f["rounds"].append(abuse_round(agent, tls_port, ctx, sink, calls, burst, settle,
                                           f, log))
        last = f["rounds"][-1]
        for k in ("noack_answered", "burst_answered", "peak_heap", "peak_rss_kb", "peak_sockets",
                  "end_heap", "end_rss_kb", "end_sockets", "ssl_new", "ssl_live", "ended",
                  "answered", "settled_seconds"):
            f[k] = last[k]
        f["noack_answered"] = sum(x["noack_answered"] for x in f["rounds"])
        f["burst_answered"] = sum(x["burst_answered"] for x in f["rounds"])

        closed = 0
        for c in silent:
            c.settimeout(0.5)
            try:
                closed += c.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except OSError:
                pass
            c.close()
        f["silent"], f["silent_closed"] = len(silent), closed
        log("connections that never started a TLS handshake, closed by the agent: %d/%d"
            % (closed, len(silent)))
        f["kept_second"] = sa.call_on(keep, tls_port, "kept-2", True)
        keep.close()
        log("a TLS connection kept open across the abuse: calls %d then %d"
            % (f["kept_first"], f["kept_second"]))

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
