#!/usr/bin/env python3
# Scale-out behind a real Kamailio (dispatcher, OPTIONS probing) on
# 127.0.0.1: examples/kamailio/scale-out.sh with three answering sdes-rig
# backends and one caller; backend 1 is killed (SIGKILL) in the middle of
# the run. TAP output.
#   argv[1] = build dir, argv[2] = source dir
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

build, src = sys.argv[1], sys.argv[2]
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
CALLS = 40
KILL_AT = 6.0
# The dispatcher must have taken the dead backend out within one probe
# interval plus one OPTIONS timeout (kamailio.cfg: 1 s + 1 s); margin for
# a loaded machine.
DETECT_S = 4.0
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what), flush=True)
    if not cond:
        failed += 1


def read_json(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.startswith("{")]


print("TAP version 13", flush=True)
if shutil.which("kamailio") is None:
    print("1..0 # SKIP kamailio is not installed (scripts/install-deps.sh)")
    sys.exit(0)

with tempfile.TemporaryDirectory() as out:
    r = subprocess.run([os.path.join(src, "examples", "kamailio", "scale-out.sh"), "--build", build,
                        "--out", out, "--backends", "3", "--calls", str(CALLS), "--rate", "10",
                        "--concurrent", "12", "--duration", "3", "--kill-at", str(KILL_AT)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=200, text=True)
    for line in r.stdout.splitlines():
        print("# " + line)
    backends = sorted(glob.glob(os.path.join(out, "backend-*.json")))
    ok(len(backends) == 3, "three backends ran")
    ready = {}
    ports = {}
    for i, path in enumerate(backends, 1):
        ev = [e for e in read_json(path) if e["event"] == "ready"]
        ready[i] = ev[0] if ev else None
        ports[i] = {"127.0.0.1:%d" % p for p in ev[0]["media_ports"]} if ev else set()
    ok(all(ready.values()), "every backend printed its contact and media ports")
    killed_at = float(open(os.path.join(out, "killed")).read())
    cev = read_json(os.path.join(out, "caller.json"))
    calls = [e for e in cev if e["event"] == "call"]
    ok(len(calls) == CALLS, "the caller reported all %d calls (%d)" % (CALLS, len(calls)))

    def backend_of(e):
        for i, p in ports.items():
            if e["remote_media"] in p:
                return i
        return None

    spread = {i: sum(1 for e in calls if backend_of(e) == i) for i in ports}
    ok(all(v > 0 for v in spread.values()), "calls spread over every backend %s" % spread)
    ok(all(backend_of(e) is not None for e in calls),
       "every call's SRTP went straight to a backend's media port, never to Kamailio")
    answered = {i: sum(1 for e in read_json(backends[i - 1]) if e["event"] == "call") for i in ports}
    ok(answered[2] > 0 and answered[3] > 0 and answered[1] > 0,
       "each backend answered calls itself, backend 1 before it was killed (its own JSON lines: %s)" % answered)
    answer_media = set()
    for path in backends[1:]:
        answer_media |= {e["remote_media"] for e in read_json(path) if e["event"] == "call"}
    ok(answer_media and all(m.startswith("127.0.0.1:") for m in answer_media) and len(answer_media) <= 2,
       "the backends sent their SRTP straight to the caller's media port(s) %s" % sorted(answer_media))

    log = open(os.path.join(out, "kamailio.log")).read()
    contact1 = ready[1]["contact"].split("sip:")[1].split(";")[0] if ready[1] else "?"
    down = [l for l in log.splitlines() if "dst-down" in l]
    ok(any(contact1 in l for l in down), "the dispatcher marked the killed backend (%s) down" % contact1)
    ok(not any(contact1 not in l for l in down), "and no other backend")

    after = [e for e in calls if e["start_unix"] > killed_at]
    late_on_dead = [e["index"] for e in after if backend_of(e) == 1]
    ok(len(after) > 0 and not late_on_dead,
       "the %d calls placed after the kill went to the other backends (on the dead one: %s)" %
       (len(after), late_on_dead))
    ok(all(e["ok"] for e in after), "and every one of them passed all its checks (failover included)")
    in_flight = [e for e in calls if backend_of(e) == 1 and e["start_unix"] < killed_at
                 and e["end_unix"] > killed_at]
    bad = [e for e in calls if not e["ok"]]
    ok(all(backend_of(e) == 1 and e["start_unix"] < killed_at and e["end_unix"] > killed_at for e in bad),
       "only calls in flight on the killed backend failed: %d of %d in flight, %d of %d calls" %
       (len(bad), len(in_flight), len(bad), len(calls)))
    ok(all("media-stopped" in e["failures"] or "no-media-received" in e["failures"] for e in bad),
       "they failed because their media stopped (%s)" % sorted({f for e in bad for f in e["failures"]}))
    ok(all(e["auth_failures"] == 0 for e in calls), "0 authentication failures on every call")
    ok(r.returncode == (1 if bad else 0), "scale-out.sh exits with the caller's status (%d)" % r.returncode)
    ok(not os.path.exists(os.path.join(out, "kamailio.pid")) or
       subprocess.run(["kill", "-0", open(os.path.join(out, "kamailio.pid")).read().strip()],
                      stderr=subprocess.DEVNULL).returncode != 0,
       "Kamailio is stopped at the end")
print("1..%d" % n, flush=True)
sys.exit(1 if failed else 0)
