#!/usr/bin/env python3
"""A minimal SIP UAC over UDP for sdes-phone's tests: one SRTP INVITE.

  fake-uac.py HOST PORT MEDIA_ADDR   sends an INVITE whose SDP has
                                     c=IN IP4|IP6 MEDIA_ADDR and one RTP/SAVP
                                     audio line; prints the final response's
                                     status line and its Warning header (or
                                     "Warning: none"), then ACKs a non-2xx
                                     response (RFC 3261 §17.1.1.3) or hangs up
                                     a 2xx with ACK + BYE.

HOST may be an IPv6 literal. Exits 1 when no final response came in 10 s.
"""
import base64
import os
import socket
import sys


def main():
    host, port, media = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, 0))
    s.settimeout(10)
    lport = s.getsockname()[1]
    h = "[" + host + "]" if ":" in host else host
    ip = "IP6" if ":" in media else "IP4"
    key = base64.b64encode(os.urandom(30)).decode()
    sdp = ("v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
           "m=audio 40000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % (ip, media, ip, media, key))
    branch = "z9hG4bK" + os.urandom(6).hex()
    call_id = os.urandom(8).hex()
    common = ["Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (h, lport, branch),
              "From: <sip:uac@%s:%d>;tag=uac1" % (h, lport),
              "Call-ID: " + call_id, "Max-Forwards: 70"]
    uri = "sip:bob@%s:%d" % (h, port)
    invite = ("INVITE %s SIP/2.0\r\n" % uri + "\r\n".join(common + [
        "To: <%s>" % uri, "CSeq: 1 INVITE", "Contact: <sip:uac@%s:%d>" % (h, lport),
        "Content-Type: application/sdp", "Content-Length: %d" % len(sdp)]) + "\r\n\r\n" + sdp)
    s.sendto(invite.encode(), (host, port))
    while True:
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            print("no final response")
            return 1
        msg = data.decode("utf-8", "replace")
        status = msg.split("\r\n", 1)[0]
        code = int(status.split(" ")[1])
        if code < 200:
            continue
        lines = msg.split("\r\n\r\n", 1)[0].split("\r\n")
        to = next(l for l in lines if l.lower().startswith(("to:", "t:")))
        warning = next((l for l in lines if l.lower().startswith("warning:")), "Warning: none")
        print(status)
        print(warning)
        ack = ("ACK %s SIP/2.0\r\n" % uri + "\r\n".join(common + [
            to, "CSeq: 1 ACK", "Content-Length: 0"]) + "\r\n\r\n")
        s.sendto(ack.encode(), (host, port))
        if code < 300:
            bye = ("BYE %s SIP/2.0\r\n" % uri + "\r\n".join(
                [c.replace(branch, branch + "b") for c in common]
                + [to, "CSeq: 2 BYE", "Content-Length: 0"]) + "\r\n\r\n")
            s.sendto(bye.encode(), (host, port))
        return 0


if __name__ == "__main__":
    sys.exit(main())
