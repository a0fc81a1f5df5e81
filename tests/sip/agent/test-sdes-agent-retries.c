/* srtpsdes — SdesAgent/SdesCall: retried requests and how calls end;
 * real Sofia stacks and SIPp on 127.0.0.1
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A request retried after a 4xx (the RTP-only fallback after 488, a digest
 * challenge to REGISTER) is the same request: SIPp checks its Call-ID, From
 * tag and CSeq (RFC 3261 §8.1.3.5). SdesCall:end-reason tells an ACK that
 * never came from a hang-up. The session configuration of a call refuses
 * a misspelled property name loudly.
 */

#include <stdio.h>
#include <string.h>

#include "sdes-call-internal.h"
#include "test-sdes-agent-harness.h"
#include "test-sdes-agent-sdp.h"

#if defined(__SANITIZE_ADDRESS__)
/* Full allocation stacks for LeakSanitizer reports and suppressions (the
 * fast unwinder stops in libraries built without frame pointers). */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:malloc_context_size=40";
}
#endif

/* ------------------------------------------------------------------------- */
/* Fallback: the same request retried                                         */
/* ------------------------------------------------------------------------- */

/* Cisco "SRTP Offer and Answer Exchange" + RFC 3261 §8.1.3.5: after the
 * RTP-only UAS refuses the SRTP offer with 488, the RTP offer goes in an
 * INVITE with the same Call-ID and From tag and a higher CSeq (SIPp answers
 * 603 naming the broken rule otherwise), and the call connects with RTP. */
static void
test_fallback_keeps_call_id_and_from_tag (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *target = NULL, *offer = NULL, *offer_m = NULL;
  SdesAgent *alice;
  CallWatch w = { 0 };
  Sipp sipp = { 0 };
  guint invites = 0;

  if (!sipp_start (f, &sipp, "fallback-uas.xml", NULL, NULL))
    return;
  alice = new_udp_agent (f, 40000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, NULL);
  start_agent (f, alice);

  target = g_strdup_printf ("sip:fallback@127.0.0.1:%u", sipp.port);
  call = sdes_agent_call (alice, target, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  g_test_message ("fallback call: ready=%d ended=%d %u %s", w.ready, w.ended,
                  w.end_status, w.end_reason ? w.end_reason : "");
  g_assert_true (w.ready);
  g_object_get (call, "invites-sent", &invites, NULL);
  g_assert_cmpuint (invites, ==, 2);
  offer = call_sdp (call, "local-sdp");
  offer_m = m_line_profile (offer);
  g_assert_cmpstr (offer_m, ==, "m=audio RTP/AVP 0");
  g_assert_cmpuint (count_crypto (offer), ==, 0);
  g_assert_false (sdes_call_is_secure (call));
  {
    SdesMediaDescription *m = g_ptr_array_index (w.media, 0);
    g_assert_true (m->active);
    g_assert_false (m->secure);
    g_assert_cmpuint (m->remote_port, ==, 42050);
  }
  hangup_and_wait (f, call, &w);
  g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_LOCAL_HANGUP);
  sipp_finish (f, &sipp);
  unwatch_call (call, &w);
}

/* ------------------------------------------------------------------------- */
/* Digest: REGISTER takes the same path as INVITE                             */
/* ------------------------------------------------------------------------- */

typedef struct {
  gboolean done;
  guint status;
  gchar *reason;
} RegisterWatch;

static void
on_registered (SdesAgent *agent, guint status, const gchar *reason, RegisterWatch *r)
{
  r->done = TRUE;
  r->status = status;
  g_free (r->reason);
  r->reason = g_strdup (reason);
}

/* RFC 3261 §22.2 and §10.2: a 401 to REGISTER is answered from the
 * agent's credentials by the digest path INVITE uses; SIPp's verifyauth
 * accepts only the right digest and checks the retry kept Call-ID and From
 * tag with a higher CSeq (403 naming the broken rule otherwise). */
static void
test_register_digest (Fixture *f, gconstpointer data)
{
  g_autofree gchar *registrar = NULL;
  RegisterWatch r = { 0 };
  SdesAgent *alice;
  Sipp sipp = { 0 };

  if (!sipp_start (f, &sipp, "register-auth-uas.xml", NULL, NULL))
    return;
  registrar = g_strdup_printf ("sip:127.0.0.1:%u", sipp.port);
  alice = new_udp_agent (f, 40000);
  g_object_set (alice, "registrar", registrar, "identity", "<sip:alice@srtpsdes.test>",
                "auth-username", "alice", "auth-password", "s3cret-test", NULL);
  g_signal_connect (alice, "registered", G_CALLBACK (on_registered), &r);
  start_agent (f, alice);
  wait_for (f, &r.done);
  g_test_message ("REGISTER: %u %s", r.status, r.reason);
  g_assert_cmpuint (r.status, ==, 200);
  sipp_finish (f, &sipp);
  g_signal_handlers_disconnect_by_data (alice, &r);
  g_free (r.reason);
}

/* ------------------------------------------------------------------------- */
/* End reasons                                                                */
/* ------------------------------------------------------------------------- */

/* RFC 3261 §13.3.1.4: SIPp never ACKs our 200. After 64*T1 (32 s) the
 * stack gives up and BYEs; the call ends with end-reason ack-timeout and
 * status 408, not as a normal hang-up. */
static void
test_ack_timeout_has_its_own_end_reason (Fixture *f, gconstpointer data)
{
  g_autofree gchar *remote = NULL;
  Peer bob = { 0 };
  CallWatch w = { 0 };
  Sipp sipp = { 0 };
  guint bport = 0;
  gint64 t0;

  peer_init (f, &bob, new_udp_agent (f, 41000), "bob");
  g_assert_cmpint (sscanf (sdes_agent_get_contact (bob.agent), "sip:127.0.0.1:%u", &bport), ==, 1);
  remote = g_strdup_printf ("127.0.0.1:%u", bport);
  if (!sipp_start_timeout (f, &sipp, "no-ack-uac.xml", remote, NULL, "50s"))
    goto out;

  while (bob.incoming == NULL)
    g_main_context_iteration (f->ctx, TRUE);
  t0 = g_get_monotonic_time ();
  watch_call (bob.incoming, &w);
  while (!w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_test_message ("no ACK: ended after %.1f s: %u %s (%s)",
                  (g_get_monotonic_time () - t0) / 1e6, w.end_status, w.end_reason,
                  end_reason_nick (w.end_why));
  g_assert_false (w.ready);
  g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_ACK_TIMEOUT);
  g_assert_cmpint (sdes_call_get_end_reason (bob.incoming), ==, SDES_CALL_END_REASON_ACK_TIMEOUT);
  g_assert_cmpuint (w.end_status, ==, 408);
  sipp_finish (f, &sipp);
  unwatch_call (bob.incoming, &w);

out:
  peer_clear (&bob);
}

/* The other end reasons an application must tell apart, between two real
 * agents: our hang-up / theirs, a rejection, a refused offer. */
static void
test_end_reasons_of_two_agents (Fixture *f, gconstpointer data)
{
  SdesAgent *alice = new_udp_agent (f, 40000);
  Peer bob = { 0 };

  start_agent (f, alice);
  peer_init (f, &bob, new_udp_agent (f, 41000), "bob");

  {
    g_autoptr(SdesCall) call = sdes_agent_call (alice, bob.uri, NULL, NULL);
    CallWatch w = { 0 }, bw = { 0 };

    g_assert_cmpint (sdes_call_get_end_reason (call), ==, SDES_CALL_END_REASON_NONE);
    watch_call (call, &w);
    wait_ready_or_ended (f, &w);
    g_assert_true (w.ready);
    watch_call (bob.incoming, &bw);
    hangup_and_wait (f, call, &w);
    while (!bw.ended)
      g_main_context_iteration (f->ctx, TRUE);
    g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_LOCAL_HANGUP);
    g_assert_cmpint (bw.end_why, ==, SDES_CALL_END_REASON_REMOTE_HANGUP);
    unwatch_call (bob.incoming, &bw);
    unwatch_call (call, &w);
  }
  {
    /* Mandatory caller, RTP-only callee: 488 with no fallback. */
    g_autoptr(SdesCall) call = NULL;
    CallWatch w = { 0 };

    g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
    g_object_set (bob.agent, "srtp-policy", SDES_SRTP_POLICY_OFF, NULL);
    call = sdes_agent_call (alice, bob.uri, NULL, NULL);
    watch_call (call, &w);
    wait_ready_or_ended (f, &w);
    g_assert_true (w.ended);
    g_assert_cmpuint (w.end_status, ==, 488);
    g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_NOT_ACCEPTABLE);
    unwatch_call (call, &w);
  }
  {
    /* Bob declines (486): rejected, not a media failure. */
    g_autoptr(SdesCall) call = NULL;
    CallWatch w = { 0 };

    g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, NULL);
    g_object_set (bob.agent, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, "auto-answer", FALSE,
                  NULL);
    call = sdes_agent_call (alice, bob.uri, NULL, NULL);
    watch_call (call, &w);
    while (bob.incoming == NULL || sdes_call_get_state (bob.incoming) != SDES_CALL_STATE_INCOMING)
      g_main_context_iteration (f->ctx, TRUE);
    g_assert_true (sdes_call_reject (bob.incoming, 486, NULL, NULL));
    g_assert_cmpint (sdes_call_get_end_reason (bob.incoming), ==,
                     SDES_CALL_END_REASON_LOCAL_HANGUP);
    wait_ready_or_ended (f, &w);
    g_assert_true (w.ended);
    g_assert_cmpuint (w.end_status, ==, 486);
    g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_REJECTED);
    unwatch_call (call, &w);
  }
  peer_clear (&bob);
}

/* ------------------------------------------------------------------------- */
/* Session configuration                                                      */
/* ------------------------------------------------------------------------- */

/* A misspelled property name is a g_critical and sets nothing: the call's
 * sessions never run with a setting silently dropped. */
static void
test_session_properties_misspelled_name_is_critical (Fixture *f, gconstpointer data)
{
  g_autoptr(SdesSession) session = sdes_session_new ();
  gboolean secure = FALSE;
  SdesSrtpPolicy policy = SDES_SRTP_POLICY_OFF;

  g_assert_true (_sdes_session_set_properties (session, "secure-signaling", TRUE,
                                               "policy", SDES_SRTP_POLICY_MANDATORY, NULL));
  g_object_get (session, "secure-signaling", &secure, "policy", &policy, NULL);
  g_assert_true (secure);
  g_assert_cmpint (policy, ==, SDES_SRTP_POLICY_MANDATORY);

  g_test_expect_message ("srtpsdes-sip", G_LOG_LEVEL_CRITICAL,
                         "*has no property \"secure-signalling\"*");
  g_assert_false (_sdes_session_set_properties (session, "policy", SDES_SRTP_POLICY_OFF,
                                                "secure-signalling", FALSE, NULL));
  g_test_assert_expected_messages ();
  /* Nothing was set, not even the valid name before the bad one. */
  g_object_get (session, "secure-signaling", &secure, "policy", &policy, NULL);
  g_assert_true (secure);
  g_assert_cmpint (policy, ==, SDES_SRTP_POLICY_MANDATORY);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/agent/retry/fallback-after-488-keeps-call-id-from-tag-higher-cseq",
       test_fallback_keeps_call_id_and_from_tag);
  ADD ("/agent/retry/401-to-register-answered-by-the-invite-digest-path", test_register_digest);
  ADD ("/agent/end-reason/no-ack-is-ack-timeout-not-hangup", test_ack_timeout_has_its_own_end_reason);
  ADD ("/agent/end-reason/hangup-remote-hangup-not-acceptable-rejected",
       test_end_reasons_of_two_agents);
  ADD ("/agent/session/misspelled-property-name-is-critical",
       test_session_properties_misspelled_name_is_critical);
#undef ADD

  return g_test_run ();
}
