#!/usr/bin/env python3
# srtpsdes — INVITEs whose Contact nta cannot send the dialog's requests to.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# With a Contact of another scheme than sip:/sips: (one byte of "sip"
# changed), Debian's nua 1.12.11 accepted the INVITE; the agent answered
# 200, and when no ACK came, nua's BYE could not be created and was retried
# from within its own failure report until the stack overflowed: SIGSEGV
# 32 s later. Each must now get a 400 naming the Contact, no 200, and the
# agent must keep answering valid calls. 127.0.0.1, UDP. TAP output.
#   argv: build dir
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipabuse as sa  # noqa: E402

build = sys.argv[1]
exe = os.path.join(build, "tests", "security", "sdes-answer-agent")
env = dict(os.environ)
env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
CONTACTS = [b"<ip:abuse@127.0.0.1:9;transport=udp>",
            b"<s\xd1p:abuse@127.0.0.1:9;transport=udp>",
            b"<sip:abuse@127.0.0.,:9;transport=udp>",
            b"<sip:abus\x06@\x9727.0.0.1:9;transport=udp>"]

n = 0
failures = 0


def ok(cond, what):
    global n, failures
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what), flush=True)
    if not cond:
        failures += 1


print("TAP version 13", flush=True)
port = sa.free_port()
agent = sa.Agent(exe, port, 0, None, None, env=env)
try:
    for i, contact in enumerate(CONTACTS):
        m = sa.invite("UDP", port, 9, "bad-contact-%d" % i).replace(
            b"<sip:abuse@127.0.0.1:9;transport=udp>", contact)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(m, ("127.0.0.1", port))
        final = None
        try:
            while final is None:
                head = s.recv(65536).split(b"\r\n\r\n")[0].decode("latin-1")
                if not head.startswith("SIP/2.0 1"):
                    final = head
        except socket.timeout:
            pass
        s.close()
        first = final.split("\r\n")[0] if final else "no final response"
        ok(final is not None and first.startswith("SIP/2.0 400")
           and "Contact or Record-Route is no usable SIP URI" in final,
           "Contact %r refused: %s" % (contact, first))
    ok(sa.udp_call(port, "valid-after") == 200, "a valid call afterwards completes")
    ok(agent.proc.poll() is None, "the agent is running")
finally:
    secs = agent.terminate()
ok(secs is not None and secs < 5.0, "SIGTERM exits in under 5 s (%s s)" % secs)
print("1..%d" % n)
sys.exit(1 if failures else 0)
