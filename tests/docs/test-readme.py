#!/usr/bin/env python3
# srtpsdes — every code block of README.md runs as shown.
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ```c blocks are compiled against the build tree with the uninstalled
# pkg-config file and run; ```python blocks run with the build's typelib;
# ```sh blocks run in a scratch directory where build/ is the build tree.
# A block is skipped only when the line before it is
# <!-- not run: REASON --> (the first two commands, which are this suite
# itself and the demo that the e2e suite runs). TAP output.
#   argv: build dir, source dir
import os
import re
import subprocess
import sys
import tempfile

build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
text = open(os.path.join(src, "README.md"), encoding="utf-8").read()

blocks = []   # (lang, code, skip reason or None, line number)
lines = text.split("\n")
i = 0
while i < len(lines):
    m = re.match(r"^```(\w+)\s*$", lines[i])
    if m:
        prev = next((l for l in reversed(lines[:i]) if l.strip()), "")
        skip = re.match(r"^<!-- not run: (.*) -->$", prev.strip())
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        blocks.append((m.group(1), "\n".join(lines[start:j]) + "\n",
                       skip.group(1) if skip else None, start))
        i = j + 1
        continue
    i += 1

env = dict(os.environ)
env["PATH"] = os.pathsep.join([os.path.join(build, d) for d in
                               ("examples", "tools", "sip/crypto")] + [env.get("PATH", "")])
env["GST_PLUGIN_PATH"] = os.path.join(build, "gst")
env["GI_TYPELIB_PATH"] = os.path.join(build, "sip")
env["LD_LIBRARY_PATH"] = os.path.join(build, "sip")
env["PKG_CONFIG_PATH"] = os.path.join(build, "meson-uninstalled")

print("TAP version 13")
failures = 0
for n, (lang, code, skip, line) in enumerate(blocks, 1):
    what = "README.md:%d (%s)" % (line, lang)
    if skip:
        print("ok %d - %s # SKIP %s" % (n, what, skip))
        continue
    with tempfile.TemporaryDirectory() as work:
        os.symlink(build, os.path.join(work, "build"))
        if lang == "c":
            path = os.path.join(work, "example.c")
            open(path, "w").write(code)
            flags = subprocess.run(["pkg-config", "--cflags", "--libs", "srtpsdes-1.0"],
                                   env=env, capture_output=True, text=True)
            cmd = ("cc -Wall -Werror -o example example.c %s && ./example"
                   % flags.stdout.strip())
            argv = ["bash", "-c", cmd]
        elif lang == "python":
            open(os.path.join(work, "example.py"), "w").write(code)
            argv = ["/usr/bin/python3", "example.py"]
        elif lang == "sh":
            argv = ["bash", "-euo", "pipefail", "-c", code]
        else:
            print("not ok %d - %s: no way to run a %s block" % (n, what, lang))
            failures += 1
            continue
        try:
            r = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True,
                               timeout=120)
            ok = r.returncode == 0
            out = (r.stdout + r.stderr).strip()
        except subprocess.TimeoutExpired:
            ok, out = False, "timed out after 120 s"
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        failures += 1
        for l in out.splitlines()[-25:]:
            print("#   " + l)
print("1..%d" % len(blocks))
sys.exit(1 if failures else 0)
