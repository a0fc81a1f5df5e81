# srtpsdes — many short calls through one answering sdes-rig: its RSS, open
# descriptors and threads are sampled every N calls it reports. Shared by
# tests/rig/test-rig-soak.py and scripts/rig-soak.sh.
#
# One answering rig on 127.0.0.1 UDP (SRTP AES_CM_128_HMAC_SHA1_80, PCMU,
# --allow-insecure-signaling) and one or more caller rigs. The answerer's
# stdout is read line by line as it comes: when its k·N-th {"event":"call"}
# line arrives, /proc/PID/status (VmRSS, Threads) and /proc/PID/fd are read
# at once. The JSON lines of calls are not kept (100,000 calls are ~100 MB
# of them): only the failed ones, the ready and summary lines.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
import json
import math
import os
import signal
import socket
import subprocess
import threading
import time

SUITE = "AES_CM_128_HMAC_SHA1_80"


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def nearest_rank(values, p):
    """The exact nearest-rank percentile p of values (what the rig's
    histogram approximates)."""
    if not values:
        return 0
    v = sorted(values)
    return v[min(max(math.ceil(p / 100.0 * len(v)), 1), len(v)) - 1]


def setup_percentiles(rig_proc):
    """(percentile, exact, reported) for p50/p95/p99 of one rig."""
    out = []
    for p in (50, 95, 99):
        reported = rig_proc.summary["setup_ms"]["p%d" % p] if rig_proc.summary else None
        out.append((p, nearest_rank(rig_proc.setup_ms, p), reported))
    return out


def proc_status(pid):
    """(VmRSS kB, Threads, open fds) of a process; None when it is gone."""
    try:
        rss = threads = None
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        return rss, threads, len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def cpu_pressure():
    """The "some avg60" of /proc/pressure/cpu (None without PSI): how much
    of the last minute runnable tasks waited for a CPU."""
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some"):
                    return float(line.split()[2].split("=")[1])
    except (OSError, IndexError, ValueError):
        pass
    return None


class Rig:
    """One sdes-rig process whose stdout is consumed by a thread: counts
    its call lines (ok or not), keeps the failed ones and the summary, and
    calls on_call(count) after each call line."""

    def __init__(self, name, argv, out_dir, env, on_call=None):
        self.name = name
        self.calls = 0
        self.failed = []
        self.summary = None
        self.setup_ms = []
        self.ready = threading.Event()
        self.on_call = on_call
        self.keep = open(os.path.join(out_dir, name + ".json"), "w")
        self.err = open(os.path.join(out_dir, name + ".err"), "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, env=env,
                                     text=True, bufsize=1)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            if not line.startswith("{"):
                continue
            ev = json.loads(line)
            kind = ev.get("event")
            if kind == "call":
                self.calls += 1
                if ev.get("setup_ms") is not None:
                    self.setup_ms.append(ev["setup_ms"])
                if not ev.get("ok"):
                    self.failed.append(ev)
                    self.keep.write(line)
                if self.on_call:
                    self.on_call(self.calls)
            else:
                self.keep.write(line)
                if kind == "summary":
                    self.summary = ev
                elif kind == "ready":
                    self.ready.set()
        self.keep.flush()

    def wait(self, timeout):
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = None
        self.thread.join(10)
        self.keep.close()
        self.err.close()
        return status


def run(rig, calls, every, out_dir, rate=300.0, concurrent=400, duration=1.0, callers=1,
        workers=2, log=print, env=None, timeout=None):
    """Places calls calls through one answering rig; returns a dict of
    figures (samples: one per every calls the answerer reported)."""
    env = dict(os.environ if env is None else env)
    os.makedirs(out_dir, exist_ok=True)
    port = free_udp_port()
    f = {"calls": calls, "every": every, "rate": rate, "concurrent": concurrent,
         "duration": duration, "callers": callers, "workers": workers, "samples": []}
    samples_path = os.path.join(out_dir, "samples.jsonl")
    samples_file = open(samples_path, "w")
    done_all = threading.Event()
    t0 = [time.monotonic()]
    answerer = [None]

    def on_answer(count):
        if count % every == 0 or count == calls:
            st = proc_status(answerer[0].proc.pid)
            if st is not None and count % every == 0:
                s = {"calls": count, "rss_kb": st[0], "threads": st[1], "fds": st[2],
                     "elapsed_s": round(time.monotonic() - t0[0], 1),
                     "cpu_pressure_some_avg60": cpu_pressure(),
                     "loadavg": os.getloadavg()[0]}
                f["samples"].append(s)
                samples_file.write(json.dumps(s) + "\n")
                samples_file.flush()
                log("%8d  %8d  %4d  %3d  %8.1f" % (s["calls"], s["rss_kb"], s["fds"],
                                                   s["threads"], s["elapsed_s"]))
        if count >= calls:
            done_all.set()

    common = ["--allow-insecure-signaling", "--srtp", "mandatory", "--suite", SUITE,
              "--codec", "PCMU", "--workers", str(workers)]
    answerer[0] = Rig("answer", [rig, "--answer", "--listen", "127.0.0.1:%d" % port] + common,
                      out_dir, env, on_answer)
    a = answerer[0]
    if not a.ready.wait(20):
        a.proc.kill()
        a.wait(5)
        raise RuntimeError("the answering rig did not get ready (see %s)" % out_dir)
    f["answer_pid"] = a.proc.pid
    f["baseline"] = proc_status(a.proc.pid)
    log("answerer pid %d on 127.0.0.1:%d; at start: RSS %d kB, %d threads, %d fds"
        % ((a.proc.pid, port) + f["baseline"]))
    log("%8s  %8s  %4s  %3s  %8s" % ("calls", "RSS kB", "fds", "thr", "elapsed"))
    t0[0] = time.monotonic()
    if timeout is None:
        timeout = calls / rate * 3 + 60
    uri = "sip:rig@127.0.0.1:%d" % port
    cs = []
    for i in range(callers):
        n = calls // callers + (1 if i < calls % callers else 0)
        cs.append(Rig("caller%d" % i,
                      [rig, "--call", uri, "--calls", str(n), "--rate", str(rate / callers),
                       "--concurrent", str(max(1, concurrent // callers)),
                       "--duration", str(duration)] + common, out_dir, env))
    deadline = time.monotonic() + timeout
    f["caller_status"] = [c.wait(max(1.0, deadline - time.monotonic())) for c in cs]
    # the last calls' lines follow the BYE by the 300 ms grace of the media sweep
    done_all.wait(max(1.0, min(30.0, deadline - time.monotonic())))
    f["elapsed_s"] = round(time.monotonic() - t0[0], 1)
    a.proc.send_signal(signal.SIGTERM)
    f["answer_status"] = a.wait(30)
    samples_file.close()
    f["answer_calls"] = a.calls
    f["caller_calls"] = sum(c.calls for c in cs)
    f["answer_failed_lines"] = len(a.failed)
    f["caller_failed_lines"] = sum(len(c.failed) for c in cs)
    f["answer_summary"] = a.summary
    f["caller_summaries"] = [c.summary for c in cs]
    f["answer_failed"] = a.summary["failed"] if a.summary else None
    f["caller_failed"] = (sum(s["failed"] for s in f["caller_summaries"])
                          if all(f["caller_summaries"]) else None)
    f["setup_percentiles"] = {"answer": setup_percentiles(a),
                              "callers": [setup_percentiles(c) for c in cs]}
    f["failure_causes"] = {}
    for ev in a.failed + [e for c in cs for e in c.failed]:
        for cause in ev.get("failures", []):
            f["failure_causes"][cause] = f["failure_causes"].get(cause, 0) + 1
    f["out_dir"] = out_dir
    f["samples_path"] = samples_path
    return f


def judge(f, pct=5.0, ref=0, fds_slack=0, rss_pct=None):
    """Problems (empty: pass): failed calls on either side, calls missing,
    and samples after samples[ref] off it by more than pct % (RSS: rss_pct
    when given; fds: pct % + fds_slack) or with other thread counts."""
    problems = []
    rss_pct = pct if rss_pct is None else rss_pct
    if f["answer_failed"] != 0 or f["answer_failed_lines"] != 0:
        problems.append("answerer: %s failed calls" % f["answer_failed"])
    if f["caller_failed"] != 0 or f["caller_failed_lines"] != 0:
        problems.append("callers: %s failed calls" % f["caller_failed"])
    if f["answer_calls"] != f["calls"] or f["caller_calls"] != f["calls"]:
        problems.append("calls reported: answerer %d, callers %d of %d"
                        % (f["answer_calls"], f["caller_calls"], f["calls"]))
    if any(s != 0 for s in f["caller_status"]) or f["answer_status"] != 0:
        problems.append("exit status: callers %s, answerer %s"
                        % (f["caller_status"], f["answer_status"]))
    s = f["samples"]
    if len(s) < ref + 2:
        problems.append("too few samples (%d)" % len(s))
        return problems
    base = s[ref]
    for x in s[ref + 1:]:
        if abs(x["rss_kb"] - base["rss_kb"]) > base["rss_kb"] * rss_pct / 100.0:
            problems.append("RSS %d kB at %d calls is %+.1f %% off %d kB at %d calls"
                            % (x["rss_kb"], x["calls"],
                               100.0 * (x["rss_kb"] - base["rss_kb"]) / base["rss_kb"],
                               base["rss_kb"], base["calls"]))
        if abs(x["fds"] - base["fds"]) > base["fds"] * pct / 100.0 + fds_slack:
            problems.append("fds %d at %d calls, %d at %d calls"
                            % (x["fds"], x["calls"], base["fds"], base["calls"]))
        if x["threads"] != base["threads"]:
            problems.append("threads %d at %d calls, %d at %d calls"
                            % (x["threads"], x["calls"], base["threads"], base["calls"]))
    return problems
