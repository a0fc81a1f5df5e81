#!/usr/bin/env python3
# srtpsdes — the library through GObject introspection (namespace Sdes)
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pjsua2's Python users cannot plug their own media (pjsip/pjproject#4399,
# #4085, #4011); here a Python program parses a=crypto values, negotiates
# SDES offer/answer and places a real SIP call between two agents on
# 127.0.0.1, getting the keys its own media code needs from the
# media-ready signal. Run by meson
# with GI_TYPELIB_PATH / LD_LIBRARY_PATH pointing into the build tree.
import sys
import unittest

import gi

gi.require_version("Sdes", "1.0")
from gi.repository import GLib, Sdes  # noqa: E402

KEY_A = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


class CryptoTest(unittest.TestCase):
    def test_parse_and_redact(self):
        attr = Sdes.CryptoAttr.parse(
            "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_A + "|2^20|1:4")
        self.assertEqual(attr.tag, 7)
        self.assertEqual(attr.suite, Sdes.CryptoSuite.AES_CM_128_HMAC_SHA1_80)
        self.assertEqual(attr.n_keys, 1)
        self.assertEqual(attr.format_redacted(),
                         "7 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^20|1:4")
        self.assertEqual(attr.format(),
                         "7 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_A + "|2^20|1:4")

    def test_bad_line_is_a_gerror_with_its_code(self):
        with self.assertRaises(GLib.Error) as cm:
            Sdes.CryptoAttr.parse("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_A[:-4])
        err = cm.exception
        self.assertEqual(err.domain, GLib.quark_to_string(Sdes.crypto_error_quark()))
        self.assertEqual(err.code, int(Sdes.CryptoError.KEY_LENGTH))
        self.assertNotIn(KEY_A[:10], err.message)  # never echoes key text

    def test_unknown_suite(self):
        with self.assertRaises(GLib.Error) as cm:
            Sdes.CryptoAttr.parse("1 AES_CM_129_HMAC_SHA1_80 inline:" + KEY_A)
        self.assertEqual(cm.exception.code, int(Sdes.CryptoError.UNKNOWN_SUITE))

    def test_redact_text(self):
        sdp = "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_A + "\r\n"
        out = Sdes.crypto_redact_text(sdp)
        self.assertNotIn(KEY_A, out)
        self.assertIn("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>", out)


def local_media(port):
    media = Sdes.LocalMedia.new("127.0.0.1")
    stream = media.add_stream(Sdes.MediaType.AUDIO, port)
    media.add_codec(stream, 0, "PCMU", 8000, 1, None)
    return media


def session(policy):
    s = Sdes.Session.new()
    s.props.policy = policy
    s.props.secure_signaling = True
    return s


class EngineTest(unittest.TestCase):
    def test_offer_answer_keys_cross(self):
        caller = session(Sdes.SrtpPolicy.MANDATORY)
        callee = session(Sdes.SrtpPolicy.MANDATORY)
        offer = caller.create_offer(local_media(40000))
        self.assertIn("m=audio 40000 RTP/SAVP 0\r\n", offer)
        answer, status, warning = callee.process_offer(local_media(41000), offer)
        self.assertEqual(status, 0)
        self.assertIsNone(warning)
        self.assertIn("m=audio 41000 RTP/SAVP 0\r\n", answer)
        self.assertTrue(caller.process_answer("tag-b", answer))
        ours = caller.get_media("tag-b")
        theirs = callee.get_media(None)
        self.assertEqual(len(ours), 1)
        self.assertEqual(len(theirs), 1)
        a, b = ours[0], theirs[0]
        self.assertTrue(a.secure and b.secure)
        self.assertEqual(a.profile, "RTP/SAVP")
        self.assertEqual((a.remote_address, a.remote_port), ("127.0.0.1", 41000))
        self.assertEqual(a.encoding_name, "PCMU")
        # What one side sends with is what the other decrypts with.
        self.assertEqual(a.local_crypto.format(), b.remote_crypto.format())
        self.assertEqual(a.remote_crypto.format(), b.local_crypto.format())

    def test_mandatory_against_rtp_offer_is_488(self):
        caller = session(Sdes.SrtpPolicy.OFF)
        callee = session(Sdes.SrtpPolicy.MANDATORY)
        offer = caller.create_offer(local_media(40000))
        self.assertIn("RTP/AVP", offer)
        with self.assertRaises(GLib.Error) as cm:
            callee.process_offer(local_media(41000), offer)
        self.assertEqual(cm.exception.code, int(Sdes.EngineError.NOT_ACCEPTABLE))
        # The out parameters are lost with the exception; the session keeps them.
        status, warning = callee.get_rejection()
        self.assertEqual(status, 488)
        self.assertEqual(warning, '399 srtpsdes "Incompatible media: SRTP required"')


class CallTest(unittest.TestCase):
    """Two Sofia-SIP agents over UDP on 127.0.0.1, driven by a GLib main loop."""

    def run_until(self, loop, check, seconds=10):
        def timeout():
            loop.quit()
            return GLib.SOURCE_REMOVE

        tid = GLib.timeout_add_seconds(seconds, timeout)
        while not check() and tid is not None:
            ctx = loop.get_context()
            ctx.iteration(True)
            if not GLib.MainContext.default().find_source_by_id(tid):
                tid = None
        if tid is not None:
            GLib.source_remove(tid)
        self.assertTrue(check(), "timed out")

    def agent(self, port):
        agent = Sdes.Agent.new(None)
        agent.props.bind_uris = ["sip:127.0.0.1:0;transport=udp"]
        agent.props.local_media = local_media(port)
        agent.props.srtp_policy = Sdes.SrtpPolicy.MANDATORY
        agent.props.require_secure_signaling = False  # UDP here; see Cisco Table 44
        ready = []
        agent.connect("ready", lambda a: ready.append(True))
        self.assertTrue(agent.start())
        self.run_until(GLib.MainLoop(), lambda: ready)
        return agent

    def test_call_gives_keys_to_python(self):
        loop = GLib.MainLoop()
        alice, bob = self.agent(40000), self.agent(41000)
        got = {}

        def on_incoming(agent, call):
            got["incoming"] = call
            call.connect("media-ready", lambda c, media: got.__setitem__("bob", list(media)))
            call.accept()

        bob.connect("incoming-call", on_incoming)
        contact = bob.get_contact()
        target = "sip:bob@" + contact.split("@")[-1].split("sip:")[-1]
        call = alice.call(target, None)
        call.connect("media-ready", lambda c, media: got.__setitem__("alice", list(media)))
        self.run_until(loop, lambda: "alice" in got and "bob" in got)
        self.assertTrue(call.is_secure())
        self.assertEqual(call.get_state(), Sdes.CallState.ACTIVE)
        a, b = got["alice"][0], got["bob"][0]
        self.assertEqual(a.local_crypto.format(), b.remote_crypto.format())
        self.assertEqual(b.local_crypto.format(), a.remote_crypto.format())
        self.assertEqual((a.local_port, b.local_port), (40000, 41000))
        self.assertEqual(a.remote_port, 41000)

        ended = []
        got["incoming"].connect("ended", lambda *args: ended.append(True))
        self.assertTrue(call.hangup())
        self.run_until(loop, lambda: ended)
        for agent in (alice, bob):
            agent.shutdown()
        self.run_until(loop, lambda: alice.is_shut_down() and bob.is_shut_down())


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
