#!/usr/bin/env python3
# A small sdes-rig run: real processes, real Sofia stacks, real libsrtp2 in
# srtpsdesenc/srtpsdesdec, 127.0.0.1 only, bounded time. TAP output.
#   argv[1] = build dir
# 20 calls, 4 at a time, over UDP and over TLS (certificates made with the
# openssl CLI); every per-call check is asserted. In the middle of the UDP
# run the answerer gets malformed INVITEs on its SIP port (garbage, an SDP
# that does not parse, an a=crypto that does not parse) and must answer
# them with an error and keep serving the valid calls. Then: a peer without
# RFC 5576 a=ssrc (sdes-phone), whose SSRC the rig learns from its first
# packet; calls rekeyed mid-call (--rekey-at, RFC 4568 §7.1.4) with no
# failed packet; and Ctrl-C (SIGINT) on a caller in the middle of its calls.
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

build = sys.argv[1]
rig = os.path.join(build, "tools", "rig", "sdes-rig")
os.environ["GST_PLUGIN_PATH"] = os.path.join(build, "gst")
# Leaks are checked by the library suites; process teardown is not what this checks.
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"

N_CALLS = 20
CONCURRENT = 4
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what), flush=True)
    if not cond:
        failed += 1


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_json(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def wait_ready(path, proc, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return None
        for ev in read_json(path) if os.path.exists(path) else []:
            if ev.get("event") == "ready":
                return ev
        time.sleep(0.1)
    return None


def malformed_invites(port):
    """Raw UDP INVITEs that must not hurt the answerer; returns the status
    line answered to each SIP one (None for no answer)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    me = s.getsockname()[1]
    s.sendto(os.urandom(700), ("127.0.0.1", port))
    s.sendto(b"INVITE \x00\xff garbage\r\n\r\n", ("127.0.0.1", port))
    bodies = {
        "bad-sdp": "v=0\r\nthis is not SDP at all\r\nm=audio banana RTP/SAVP 0\r\n",
        "bad-crypto": ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio 40000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%%%%\r\n"),
    }
    answers = {}
    for i, (name, body) in enumerate(bodies.items()):
        branch = "z9hG4bK-rig-%d-%d" % (os.getpid(), i)
        msg = ("INVITE sip:rig@127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:evil@127.0.0.1>;tag=evil%d\r\n"
               "To: <sip:rig@127.0.0.1:%d>\r\n"
               "Call-ID: malformed-%d-%d@127.0.0.1\r\n"
               "CSeq: 1 INVITE\r\n"
               "Contact: <sip:evil@127.0.0.1:%d>\r\n"
               "Content-Type: application/sdp\r\n"
               "Content-Length: %d\r\n\r\n%s") % (port, me, branch, i, port, os.getpid(), i, me,
                                                  len(body), body)
        s.sendto(msg.encode(), ("127.0.0.1", port))
        answers[name] = None
        deadline = time.time() + 3
        while time.time() < deadline:
            try:
                data = s.recv(65535).decode(errors="replace")
            except socket.timeout:
                break
            first = data.split("\r\n", 1)[0]
            if branch in data and first.startswith("SIP/2.0 ") and int(first.split()[1]) >= 200:
                answers[name] = first
                break
    s.close()
    return answers


def make_certs(d):
    cmds = [
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=sdes-rig test CA"],
        ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "host.key", "-out", "host.csr", "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "host.pem", "-days", "1", "-extfile", "ext.cnf"],
    ]
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth,clientAuth\n")
    for c in cmds:
        subprocess.run(c, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ["--tls-cert", os.path.join(d, "host.pem"), "--tls-key", os.path.join(d, "host.key"),
            "--ca", os.path.join(d, "ca.pem")]


def is_int(v):
    return type(v) is int


def check_lateness(name, calls, summaries):
    """late (kernel arrival time) and late_read (the rig's read time) are
    counts of received packets on every call line; the summaries' fractions
    are their totals over the packets received."""
    ok(len(calls) > 0 and all(is_int(e.get("late")) and is_int(e.get("late_read"))
                              and 0 <= e["late"] <= e["packets_received"]
                              and 0 <= e["late_read"] <= e["packets_received"] for e in calls),
       "%s: every call line has late and late_read, integers in [0, packets_received]" % name)
    good = len(summaries) > 0
    for sm in summaries:
        mine = [e for e in calls if e["mode"] == sm["mode"]]
        received = sum(e["packets_received"] for e in mine)
        for field, frac in (("late", "late_fraction"), ("late_read", "late_read_fraction")):
            v = sm.get(frac)
            good = (good and type(v) in (int, float) and 0 <= v <= 1
                    and sm.get(field) == sum(e[field] for e in mine)
                    and abs(v - (sm[field] / received if received else 0)) < 1e-9)
    ok(good, "%s: the summaries' late_fraction and late_read_fraction are in [0, 1] and the "
       "totals of the call lines (%s)" % (name, ", ".join(
           "%s %s/%s" % (sm["mode"], sm.get("late_fraction"), sm.get("late_read_fraction"))
           for sm in summaries)))


def run(work, name, transport, extra, malformed=False, caller_extra=(), codec="PCMU"):
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    port = free_port(kind)
    if transport == "tls":
        uri = "sips:rig@127.0.0.1:%d" % port
    else:
        uri = "sip:rig@127.0.0.1:%d;transport=%s" % (port, transport)
    a_out = os.path.join(work, name + ".answer.json")
    c_out = os.path.join(work, name + ".caller.json")
    with open(a_out, "w") as ao, open(os.path.join(work, name + ".answer.err"), "w") as ae:
        answer = subprocess.Popen([rig, "--answer", "--transport", transport,
                                   "--listen", "127.0.0.1:%d" % port] + extra,
                                  stdout=ao, stderr=ae)
    ready = wait_ready(a_out, answer)
    ok(ready is not None, "%s: the answering rig is ready on %s" % (name, uri))
    with open(c_out, "w") as co, open(os.path.join(work, name + ".caller.err"), "w") as ce:
        caller = subprocess.Popen([rig, "--call", uri, "--transport", transport, "--calls", str(N_CALLS),
                                   "--concurrent", str(CONCURRENT), "--rate", "20", "--duration", "2"]
                                  + extra + list(caller_extra), stdout=co, stderr=ce)
    answers = None
    if malformed:
        time.sleep(3)
        answers = malformed_invites(port)
    try:
        caller_status = caller.wait(timeout=90)
    except subprocess.TimeoutExpired:
        caller.kill()
        caller_status = None
    answer.send_signal(signal.SIGTERM)
    try:
        answer_status = answer.wait(timeout=20)
    except subprocess.TimeoutExpired:
        answer.kill()
        answer_status = None

    ok(caller_status == 0, "%s: the caller rig exits 0 (got %s)" % (name, caller_status))
    ok(answer_status == 0, "%s: the answering rig ends cleanly on SIGTERM (got %s)" % (name, answer_status))
    cev = read_json(c_out)
    aev = read_json(a_out)
    ccalls = [e for e in cev if e["event"] == "call"]
    acalls = [e for e in aev if e["event"] == "call"]
    csum = [e for e in cev if e["event"] == "summary"]
    asum = [e for e in aev if e["event"] == "summary"]
    ok(len(ccalls) == N_CALLS and sorted(e["index"] for e in ccalls) == list(range(N_CALLS)),
       "%s: one JSON line per placed call (%d)" % (name, len(ccalls)))
    ok(len(acalls) == N_CALLS, "%s: one JSON line per answered call (%d)" % (name, len(acalls)))
    both = ccalls + acalls
    ok(all(e["established"] and e["status"] == 200 for e in both),
       "%s: every call was established and ended with BYE/200" % name)
    ok(all(e["secure"] and e["suite"] for e in both), "%s: every call is SRTP with a suite" % name)
    ok(all(e["codec"] == codec for e in both), "%s: every call used %s" % (name, codec))
    ok(all(e["auth_failures"] == 0 and e["replay_drops"] == 0 for e in both),
       "%s: 0 authentication failures and replay drops on every call, both sides" % name)
    ok(all(e["packets_sent"] > 50 and e["packets_received"] > 50 for e in both),
       "%s: > 50 packets sent and received on every call, both sides (min %d)" %
       (name, min(min(e["packets_sent"], e["packets_received"]) for e in both) if both else 0))
    ok(all(e["tone_match"] is True and abs(e["dominant_hz"] - e["tone_expected_hz"]) <= 5 for e in both),
       "%s: the tone received matches the tone the other side announced, on every call" % name)
    ok(all(e["tone_expected_hz"] == 300 + 10 * e["index"] for e in acalls),
       "%s: the answerer heard each caller's own tone (300 + 10 i Hz)" % name)
    ok(all(e["remote_ssrc_from"] == "a=ssrc" for e in both),
       "%s: every remote SSRC came from RFC 5576 a=ssrc" % name)
    ok(len({e["tone_sent_hz"] for e in ccalls}) == N_CALLS, "%s: each call had its own tone" % name)
    ok(all(e["ok"] and e["failures"] == [] for e in both), "%s: every call passed all its checks" % name)
    ok(len(csum) == 1 and csum[0]["failed"] == 0 and csum[0]["established"] == N_CALLS
       and csum[0]["concurrent_peak"] <= CONCURRENT,
       "%s: caller summary: %d established, 0 failed, peak %s <= %d" %
       (name, csum[0]["established"] if csum else -1, csum[0]["concurrent_peak"] if csum else "?", CONCURRENT))
    ok(len(asum) == 1 and asum[0]["calls"] == N_CALLS and asum[0]["failed"] == 0,
       "%s: answer summary: %s calls, 0 failed" % (name, asum[0]["calls"] if asum else "?"))
    check_lateness(name, both, csum + asum)
    ok(len(csum) == 1 and csum[0]["threads_peak"] <= 12,
       "%s: the caller's threads stay few (%s)" % (name, csum[0]["threads_peak"] if csum else "?"))
    return answers


def phone_peer(work):
    phone = os.path.join(build, "examples", "sdes-phone")
    if not os.path.exists(phone):
        print("# sdes-phone not built: the peer without a=ssrc is not tried")
        return
    port = free_port()
    a_out = os.path.join(work, "phone.answer.json")
    with open(a_out, "w") as ao, open(os.path.join(work, "phone.answer.err"), "w") as ae:
        answer = subprocess.Popen([rig, "--answer", "--listen", "127.0.0.1:%d" % port, "--count", "1",
                                   "--allow-insecure-signaling"], stdout=ao, stderr=ae)
    wait_ready(a_out, answer)
    r = subprocess.run([phone, "--call", "sip:rig@127.0.0.1:%d" % port, "--bind",
                        "sip:127.0.0.1:%d;transport=udp" % free_port(), "--srtp", "mandatory",
                        "--allow-insecure-signaling", "--duration", "3", "--tone", "440", "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=40, text=True)
    try:
        answer_status = answer.wait(timeout=20)
    except subprocess.TimeoutExpired:
        answer.kill()
        answer_status = None
    psum = [json.loads(l) for l in r.stdout.splitlines() if '"event":"summary"' in l]
    calls = [e for e in read_json(a_out) if e["event"] == "call"]
    ok(r.returncode == 0 and answer_status == 0 and len(calls) == 1,
       "phone: sdes-phone called the rig, both exit 0 (%s, %s)" % (r.returncode, answer_status))
    c = calls[0] if calls else {}
    ok(c.get("remote_ssrc_from") == "first-packet" and c.get("secure") and c.get("auth_failures") == 0
       and c.get("packets_received", 0) > 50,
       "phone: the rig learned the phone's SSRC from its first packet and authenticated %s packets" %
       c.get("packets_received"))
    ok(abs(c.get("dominant_hz", 0) - 440) <= 5 and c.get("tone_match") is None,
       "phone: the rig heard the phone's 440 Hz (%s Hz; no a=x-rig-tone, so not checked)" %
       c.get("dominant_hz"))
    ok(psum and psum[0]["auth_failures"] == 0 and abs(psum[0]["dominant_hz"] - 2000) <= 5,
       "phone: the phone heard the rig's 2000 Hz with 0 auth failures (%s Hz)" %
       (psum[0]["dominant_hz"] if psum else "?"))


def interrupted(work):
    port = free_port()
    a_out = os.path.join(work, "int.answer.json")
    c_out = os.path.join(work, "int.caller.json")
    with open(a_out, "w") as ao, open(os.path.join(work, "int.answer.err"), "w") as ae:
        answer = subprocess.Popen([rig, "--answer", "--listen", "127.0.0.1:%d" % port, "--count", "6",
                                   "--allow-insecure-signaling"], stdout=ao, stderr=ae)
    wait_ready(a_out, answer)
    with open(c_out, "w") as co, open(os.path.join(work, "int.caller.err"), "w") as ce:
        caller = subprocess.Popen([rig, "--call", "sip:rig@127.0.0.1:%d" % port, "--calls", "6",
                                   "--concurrent", "6", "--rate", "50", "--duration", "60",
                                   "--allow-insecure-signaling"], stdout=co, stderr=ce)
    wait_ready(c_out, caller)
    time.sleep(4)
    t = time.time()
    caller.send_signal(signal.SIGINT)
    try:
        caller_status = caller.wait(timeout=15)
    except subprocess.TimeoutExpired:
        caller.kill()
        caller_status = None
    took = time.time() - t
    try:
        answer_status = answer.wait(timeout=15)
    except subprocess.TimeoutExpired:
        answer.kill()
        answer_status = None
    cev = read_json(c_out)
    ccalls = [e for e in cev if e["event"] == "call"]
    acalls = [e for e in read_json(a_out) if e["event"] == "call"]
    ok(caller_status == 0 and took < 10,
       "sigint: the caller ends its 60 s calls on SIGINT in %.1f s, exit 0 (%s)" % (took, caller_status))
    ok(len(ccalls) == 6 and all(e["status"] == 200 and e["ok"] for e in ccalls)
       and any(e["event"] == "summary" for e in cev),
       "sigint: 6 calls hung up, each passed its checks, and the summary was printed")
    ok(answer_status == 0 and len(acalls) == 6 and
       all(e["reason"] == "Hung up by peer" and e["ok"] for e in acalls),
       "sigint: the answerer got a BYE for each of the 6 calls (--count 6 reached, exit %s)" %
       answer_status)


def rekeyed(work, n_calls=8):
    """--rekey-at: each call re-INVITEs with new keys mid-call (RFC 4568
    §7.1.4); both sides must take the new keys without one failed packet and
    keep hearing the right tone."""
    port = free_port()
    a_out = os.path.join(work, "rekey.answer.json")
    c_out = os.path.join(work, "rekey.caller.json")
    with open(a_out, "w") as ao, open(os.path.join(work, "rekey.answer.err"), "w") as ae:
        answer = subprocess.Popen([rig, "--answer", "--listen", "127.0.0.1:%d" % port, "--count",
                                   str(n_calls), "--allow-insecure-signaling"], stdout=ao, stderr=ae)
    wait_ready(a_out, answer)
    with open(c_out, "w") as co, open(os.path.join(work, "rekey.caller.err"), "w") as ce:
        caller = subprocess.Popen([rig, "--call", "sip:rig@127.0.0.1:%d" % port, "--calls",
                                   str(n_calls), "--concurrent", "4", "--rate", "20", "--duration",
                                   "3", "--rekey-at", "1.5", "--allow-insecure-signaling"],
                                  stdout=co, stderr=ce)
    try:
        caller_status = caller.wait(timeout=60)
    except subprocess.TimeoutExpired:
        caller.kill()
        caller_status = None
    try:
        answer_status = answer.wait(timeout=20)
    except subprocess.TimeoutExpired:
        answer.kill()
        answer_status = None
    cev = read_json(c_out)
    aev = read_json(a_out)
    ccalls = [e for e in cev if e["event"] == "call"]
    acalls = [e for e in aev if e["event"] == "call"]
    both = ccalls + acalls
    ok(caller_status == 0 and answer_status == 0 and len(ccalls) == n_calls
       and len(acalls) == n_calls,
       "rekey: %d calls with --rekey-at 1.5, both rigs exit 0 (%s, %s)" %
       (n_calls, caller_status, answer_status))
    ok(all(e["rekey_sent"] and e["rekeys"] == 1 for e in ccalls),
       "rekey: every caller sent one rekey re-INVITE and got new keys both ways, ROC kept")
    ok(all(e["rekeys"] == 1 for e in acalls),
       "rekey: every answerer saw the rekey (new keys both ways, ROC kept)")
    ok(all(e["remote_rekeys"] == 1 and e["packets_after_rekey"] >= 25 for e in both),
       "rekey: both sides received >= 25 packets under the peer's new key (min %s)" %
       min((e["packets_after_rekey"] for e in both), default=None))
    ok(all(e["auth_failures"] == 0 and e["replay_drops"] == 0 for e in both),
       "rekey: 0 authentication failures and replay drops across the rekey, both sides")
    ok(all(e["dominant_hz_after_rekey"] is not None and
           abs(e["dominant_hz_after_rekey"] - e["tone_expected_hz"]) <= 5 for e in both),
       "rekey: the tone after the rekey is still the one announced, on every call")
    ok(all(e["ok"] and e["failures"] == [] for e in both), "rekey: every call passed all its checks")
    check_lateness("rekey", both, [e for e in cev + aev if e["event"] == "summary"])


print("TAP version 13", flush=True)
with tempfile.TemporaryDirectory() as work:
    answers = run(work, "udp", "udp", ["--allow-insecure-signaling"], malformed=True)
    ok(answers["bad-sdp"] is not None and answers["bad-sdp"].split()[1] in ("400", "488"),
       "udp: an INVITE whose SDP does not parse gets 400/488 mid-run (%s)" % answers["bad-sdp"])
    ok(answers["bad-crypto"] is not None and answers["bad-crypto"].split()[1] in ("400", "488"),
       "udp: an INVITE whose only a=crypto does not parse gets 400/488 mid-run (%s)" %
       answers["bad-crypto"])
    tls = make_certs(work)
    # the caller offers PCMA only; the answerer takes either law
    run(work, "tls", "tls", tls, caller_extra=["--codec", "PCMA"], codec="PCMA")
    phone_peer(work)
    rekeyed(work)
    interrupted(work)
print("1..%d" % n, flush=True)
sys.exit(1 if failed else 0)
