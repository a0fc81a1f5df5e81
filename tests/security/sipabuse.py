# srtpsdes — SIP abuse helpers shared by tests/security/ and scripts/:
# an answering agent under observation, TLS callers that never ACK, floods.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# 127.0.0.1 only.
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import time

SDP = (b"v=0\r\no=abuse 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
       b"t=0 0\r\nm=audio 42060 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def free_port():
    """A port free for UDP and TCP on 127.0.0.1."""
    while True:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            t.close()
            u.close()


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class Agent:
    """tests/security/sdes-answer-agent on sip: (UDP+TCP) and sips: ports."""

    def __init__(self, exe, port, tls_port, cert, key, env=None):
        self.port, self.tls_port = port, tls_port
        args = [exe, "--bind", "sip:127.0.0.1:%d" % port]
        if tls_port:
            args += ["--bind", "sips:127.0.0.1:%d" % tls_port,
                     "--tls-cert", cert, "--tls-key", key]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=(open(os.environ["SDES_AGENT_STDERR"], "w") if os.environ.get("SDES_AGENT_STDERR") else subprocess.DEVNULL), env=env, text=True)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            raise RuntimeError("agent did not start: %r" % line)

    @property
    def pid(self):
        return self.proc.pid

    def stats(self):
        os.kill(self.proc.pid, signal.SIGUSR1)
        while True:
            line = self.proc.stdout.readline()
            if not line:
                return None
            d = json.loads(line)
            if "calls" in d:
                return d

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def sockets(self):
        n = 0
        for fd in os.listdir("/proc/%d/fd" % self.pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (self.pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
        return n

    def terminate(self, timeout=30.0):
        """SIGTERM; returns the seconds to exit (None if it had to be killed)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
            return time.monotonic() - t0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def invite(transport, port, lport, call_id, body=SDP, extra=""):
    head = ("INVITE sip:bob@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s 127.0.0.1:%d;rport;branch=z9hG4bK-%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:abuse@127.0.0.1:%d>;tag=a-%s\r\n"
            "To: <sip:bob@127.0.0.1:%d>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:abuse@127.0.0.1:%d;transport=%s>\r\n%s"
            "Content-Type: application/sdp\r\n"
            "Content-Length: %d\r\n\r\n"
            % (port, transport.upper(), lport, call_id, lport, call_id, port, call_id,
               lport, transport.lower(), extra, len(body)))
    return head.encode() + body


def _responses(buf):
    """Splits complete messages off buf: (list of (head, body), rest)."""
    out = []
    while b"\r\n\r\n" in buf:
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith((b"content-length:", b"l:")):
                length = int(line.split(b":")[1])
        if len(rest) < length:
            break
        out.append((head.decode("latin-1"), rest[:length]))
        buf = rest[length:]
    return out, buf


def _header(head, name):
    for line in head.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Sink:
    """A TCP listener on 127.0.0.1 that accepts and holds every connection
    and never speaks: the Via/Contact of the abusive callers, so that any
    connection the agent opens back to them stays open."""

    def __init__(self):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(c)

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


def stream_call(port, call_id, ack, ctx=None, timeout=5.0, via_port=None):
    """One INVITE over TCP (ctx None) or TLS; returns the final status (0 when
    none came). With ack, ACKs a 2xx and hangs up with BYE (waiting for its
    200); without, closes the connection right after the 2xx."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw) if ctx else raw
    try:
        return call_on(s, port, call_id, ack, "TLS" if ctx else "TCP", timeout, via_port)
    finally:
        try:
            s.close()
        except OSError:
            pass


def call_on(s, port, call_id, ack, transport="TLS", timeout=5.0, via_port=None):
    """stream_call() on the connected socket s, which is left open."""
    status = 0
    try:
        lport = via_port or s.getsockname()[1]
        s.sendall(invite(transport, port, lport, call_id))
        buf = b""
        deadline = time.monotonic() + timeout
        to = None
        while time.monotonic() < deadline and status == 0:
            data = s.recv(65536)
            if not data:
                break
            msgs, buf = _responses(buf + data)
            for head, _ in msgs:
                code = int(head.split(" ", 2)[1])
                if code >= 200:
                    status, to = code, _header(head, "To")
                    break
        if ack and 200 <= status < 300:
            common = ("Via: SIP/2.0/%s 127.0.0.1:%d;rport;branch=z9hG4bK-%%s\r\n"
                      "Max-Forwards: 70\r\nFrom: <sip:abuse@127.0.0.1:%d>;tag=a-%s\r\n"
                      "To: %s\r\nCall-ID: %s\r\n" % (transport, lport, lport, call_id, to, call_id))
            s.sendall(("ACK sip:bob@127.0.0.1:%d SIP/2.0\r\n" % port
                       + common % (call_id + "-ack") + "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode())
            s.sendall(("BYE sip:bob@127.0.0.1:%d SIP/2.0\r\n" % port
                       + common % (call_id + "-bye") + "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n").encode())
            bye = 0
            while time.monotonic() < deadline and bye == 0:
                data = s.recv(65536)
                if not data:
                    break
                msgs, buf = _responses(buf + data)
                for head, _ in msgs:
                    if head.startswith("SIP/2.0") and "BYE" in (_header(head, "CSeq") or ""):
                        bye = int(head.split(" ", 2)[1])
            if bye != 200:
                status = -bye or -1
    except (OSError, ssl.SSLError, ValueError):
        pass
    return status


def udp_call(port, call_id, timeout=5.0):
    """A complete call over UDP (INVITE, ACK, BYE); returns the BYE's status
    (or the INVITE's final status when it was no 2xx, 0 on timeout)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    lport = s.getsockname()[1]
    dst = ("127.0.0.1", port)
    deadline = time.monotonic() + timeout
    try:
        msg = invite("UDP", port, lport, call_id)
        s.sendto(msg, dst)
        status, to = 0, None
        while time.monotonic() < deadline and status == 0:
            try:
                data = s.recv(65536)
            except socket.timeout:
                s.sendto(msg, dst)
                continue
            for head, _ in _responses(data)[0]:
                code = int(head.split(" ", 2)[1])
                if code >= 200:
                    status, to = code, _header(head, "To")
        if not 200 <= status < 300:
            return status
        common = ("Via: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK-%%s\r\n"
                  "Max-Forwards: 70\r\nFrom: <sip:abuse@127.0.0.1:%d>;tag=a-%s\r\n"
                  "To: %s\r\nCall-ID: %s\r\n" % (lport, lport, call_id, to, call_id))
        s.sendto(("ACK sip:bob@127.0.0.1:%d SIP/2.0\r\n" % port + common % (call_id + "-ack")
                  + "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode(), dst)
        bye = ("BYE sip:bob@127.0.0.1:%d SIP/2.0\r\n" % port + common % (call_id + "-bye")
               + "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n").encode()
        s.sendto(bye, dst)
        while time.monotonic() < deadline:
            try:
                data = s.recv(65536)
            except socket.timeout:
                s.sendto(bye, dst)
                continue
            for head, _ in _responses(data)[0]:
                if head.startswith("SIP/2.0") and "BYE" in (_header(head, "CSeq") or ""):
                    return int(head.split(" ", 2)[1])
        return 0
    finally:
        s.close()


def garbage(rng, port, call_id):
    """One hostile datagram: random bytes, an oversized or a malformed INVITE."""
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 1400)))
    if kind == 1:
        body = b"v=0\r\n" + b"a=x:" + b"y" * 60000 + b"\r\n"
        return invite("UDP", port, 9, call_id, body=body)
    if kind == 2:
        m = bytearray(invite("UDP", port, 9, call_id))
        for _ in range(8):
            m[rng.randrange(len(m))] = rng.getrandbits(8)
        return bytes(m)
    return invite("UDP", port, 9, call_id, extra="X-Long: " + "z" * 8000 + "\r\n")
