#!/usr/bin/env python3
# srtpsdes — the GStreamer plugin and the Sdes GI bindings in one process
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The plugin links the shared libsrtpsdes-1.0, so a process that makes a
# srtpsdesenc and uses Sdes.* has one SdesCryptoSuite GType, whichever
# comes first. Each order runs in a process of its own (GTypes are
# registered once per process): this script re-runs itself with
# "plugin-first" and "sdes-first" and fails on a non-zero exit or on a
# GObject warning such as "cannot register existing type".
import subprocess
import sys

KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
ORDERS = ("plugin-first", "sdes-first")


def run(order):
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("Sdes", "1.0")
    from gi.repository import GObject, Gst, Sdes

    Gst.init(None)

    def use_plugin():
        elements = [Gst.ElementFactory.make(name, None) for name in ("srtpsdesenc", "srtpsdesdec")]
        assert None not in elements, "the srtpsdes plugin is not loaded"
        return elements

    def use_sdes():
        attr = Sdes.CryptoAttr.parse("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY)
        assert attr.suite == Sdes.CryptoSuite.AES_CM_128_HMAC_SHA1_80
        return attr

    if order == "plugin-first":
        elements = use_plugin()
        attr = use_sdes()
    else:
        attr = use_sdes()
        elements = use_plugin()

    # One type of each name, the one the bindings know.
    assert GObject.type_from_name("SdesCryptoSuite") == Sdes.CryptoSuite.__gtype__
    # The elements take the value the bindings format, and start with it.
    enc, dec = elements
    for element in elements:
        element.set_property("crypto", attr.format())
        assert element.set_state(Gst.State.READY) == Gst.StateChangeReturn.SUCCESS
        assert element.get_property("last-error") is None
        element.set_state(Gst.State.NULL)
    assert enc.get_property("crypto") == attr.format()
    assert dec.get_property("crypto") == attr.format_redacted()


def main():
    if len(sys.argv) > 1:
        run(sys.argv[1])
        print("ok", sys.argv[1])
        return 0
    status = 0
    for order in ORDERS:
        proc = subprocess.run([sys.executable, __file__, order], capture_output=True, text=True,
                              timeout=60)
        bad = [line for line in proc.stderr.splitlines()
               if "cannot register existing type" in line or "-WARNING" in line
               or "-CRITICAL" in line]
        if proc.returncode != 0 or bad:
            print(f"FAIL {order}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
            status = 1
        else:
            print(proc.stdout.strip())
    return status


if __name__ == "__main__":
    sys.exit(main())
