#!/usr/bin/env python3
# srtpsdes — SDP bodies that made Sofia-SIP's parser allocate without bound,
# sent in INVITEs over UDP and TCP to a running answering sdes-phone.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Each body must get a 400 with a Warning that names the broken rule, the
# phone's memory must stay where it was (before the guard in
# sip/engine/sdp-guard.c, each INVITE took it from ~20 MB to over 1 GB with no
# response), and a valid SRTP call must work afterwards. 127.0.0.1 only, every
# wait bounded. TAP output.
#   argv: build dir, source dir
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipabuse import free_port  # noqa: E402

build, src = sys.argv[1], sys.argv[2]
phone = os.path.join(build, "examples", "sdes-phone")
corpus = os.path.join(src, "tests", "sip", "fuzz-corpus")
finds = sorted(f for f in os.listdir(corpus) if "sofia-oom" in f)
env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "gst"))
# Whole-process teardown leaks of GStreamer/Sofia are not what this checks.
env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"

n = 0
failures = 0


def ok(cond, what):
    global n, failures
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what), flush=True)
    if not cond:
        failures += 1


def rss_kb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def invite(transport, port, lport, body, call_id):
    head = ("INVITE sip:bob@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK-%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:hostile@127.0.0.1:%d>;tag=h1\r\n"
            "To: <sip:bob@127.0.0.1:%d>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:hostile@127.0.0.1:%d>\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: %d\r\n\r\n"
            % (port, transport.upper(), lport, call_id, lport, port, call_id, lport, len(body)))
    return head.encode() + body


def final_response(transport, port, body, call_id, timeout=5.0):
    """Sends the INVITE; returns (final response text, seconds to it)."""
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(timeout)
    s.bind(("127.0.0.1", 0))
    try:
        if transport == "tcp":
            s.connect(("127.0.0.1", port))
        msg = invite(transport, port, s.getsockname()[1], body, call_id)
        t0 = time.monotonic()
        if transport == "udp":
            s.sendto(msg, ("127.0.0.1", port))
        else:
            s.sendall(msg)
        buf = b""
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            data = s.recv(65536)
            if not data:
                break
            buf += data
            while b"\r\n\r\n" in buf:
                head, _, rest = buf.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(rest) < length:
                    break
                buf = rest[length:]
                text = head.decode("latin-1")
                if not text.startswith("SIP/2.0 1"):
                    return text, time.monotonic() - t0
        return None, timeout
    except (socket.timeout, ConnectionError):
        return None, timeout
    finally:
        s.close()


print("TAP version 13", flush=True)
port = free_port()
answerer = subprocess.Popen(
    [phone, "--answer", "--duration", "60", "--json", "--srtp", "optional",
     "--allow-insecure-signaling",
     # no transport parameter: Sofia binds UDP and TCP on the port
     "--bind", "sip:127.0.0.1:%d" % port],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
try:
    # ready once it takes TCP connections
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    ok(len(finds) >= 5, "the fuzzer's memory-exhaustion finds are in the corpus (%d)" % len(finds))

    # warm up the phone's SIP path with one refused body first
    final_response("udp", port, b"v=0\r\n x=1\r\n", "warm-up")
    rss_before = rss_kb(answerer.pid)
    worst = 0.0
    for transport in ("udp", "tcp"):
        for i, name in enumerate(finds):
            with open(os.path.join(corpus, name), "rb") as f:
                body = f.read()
            resp, secs = final_response(transport, port, body, "hostile-%s-%d" % (transport, i))
            worst = max(worst, secs)
            first = resp.split("\r\n")[0] if resp else "no final response"
            warning = [h for h in (resp or "").split("\r\n") if h.startswith("Warning:")]
            ok(first.startswith("SIP/2.0 400 ") and warning and "malformed SDP: " in warning[0],
               "%s over %s: %s, %s (%.2f ms)" % (name, transport.upper(), first,
                                                 warning[0] if warning else "no Warning",
                                                 secs * 1000))
    rss_after = rss_kb(answerer.pid)
    print("# answering phone RSS %d kB before, %d kB after %d hostile INVITEs; slowest answer %.2f ms"
          % (rss_before, rss_after, 2 * len(finds), worst * 1000), flush=True)
    ok(answerer.poll() is None, "the answering phone is still running")
    # ASan quarantine and allocator caches move RSS a little; the bug moved it by GBs.
    ok(rss_after - rss_before < 32 * 1024,
       "memory did not move: %+d kB" % (rss_after - rss_before))

    # ... and a valid SRTP call is answered afterwards.
    aport = free_port()
    caller = subprocess.run(
        [phone, "--call", "sip:bob@127.0.0.1:%d;transport=udp" % port, "--duration", "5",
         "--json", "--srtp", "mandatory", "--allow-insecure-signaling",
         "--bind", "sip:127.0.0.1:%d;transport=udp" % aport],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, timeout=40)
    summary = {}
    for line in caller.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "summary":
            summary = ev
    ok(caller.returncode == 0 and summary.get("secure") is True
       and int(summary.get("packets_received", 0)) > 20,
       "a valid SRTP call works afterwards (exit %d, %s packets received, suite %s)"
       % (caller.returncode, summary.get("packets_received"), summary.get("suite")))
    if caller.returncode != 0:
        for line in caller.stdout.splitlines()[-8:]:
            print("#   caller: " + line)
finally:
    if answerer.poll() is None:
        answerer.terminate()
    try:
        answerer.wait(timeout=10)
    except subprocess.TimeoutExpired:
        answerer.kill()
    if failures:
        for line in answerer.stdout.read().splitlines()[-15:]:
            print("#   answerer: " + line)

print("1..%d" % n)
sys.exit(1 if failures else 0)
