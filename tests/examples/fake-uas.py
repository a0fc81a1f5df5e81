#!/usr/bin/env python3
"""A minimal SIP UAS over UDP on 127.0.0.1 for sdes-phone's tests.

  fake-uas.py PORT reject PHRASE   answer the INVITE with "486 PHRASE" (any bytes a
                                   test wants in a reason phrase)
  fake-uas.py PORT ring LOGFILE    answer 180 and never 200 (LOGFILE gets "RINGING");
                                   on CANCEL answer 200 and 487 (RFC 3261 §9.2) and
                                   append "CANCEL" to LOGFILE

Prints "ready" once the port is bound; exits after the ACK, or after 20 s
without a request.
"""
import socket
import sys

KEEP = ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")


def headers(msg, to_tag):
    out = []
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        name = line.split(":", 1)[0].strip().lower()
        if name in ("to", "t") and ";tag=" not in line:
            line += ";tag=" + to_tag
        if name in KEEP:
            out.append(line)
    return out


def response(status, hdrs):
    return ("SIP/2.0 " + status + "\r\n" + "\r\n".join(hdrs)
            + "\r\nContent-Length: 0\r\n\r\n").encode()


def main():
    port, mode, arg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(20)
    print("ready", flush=True)
    invite = None
    while True:
        data, addr = s.recvfrom(65535)
        msg = data.decode("utf-8", "replace")
        method = msg.split(" ", 1)[0]
        if method == "ACK":
            return
        if method == "INVITE" and mode == "reject":
            s.sendto(response("486 " + arg, headers(msg, "hostile")), addr)
        elif method == "INVITE" and mode == "ring":
            invite = headers(msg, "ringing")
            s.sendto(response("180 Ringing", invite), addr)
            with open(arg, "a") as log:
                log.write("RINGING\n")
        elif method == "CANCEL" and invite is not None:
            with open(arg, "a") as log:
                log.write("CANCEL\n")
            s.sendto(response("200 OK", headers(msg, "ringing")), addr)
            s.sendto(response("487 Request Terminated", invite), addr)


if __name__ == "__main__":
    main()
