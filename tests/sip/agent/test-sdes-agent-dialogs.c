/* srtpsdes — SdesAgent/SdesCall: TLS, forking, redirect, transfer, digest,
 * late offer; real Sofia stacks and SIPp on 127.0.0.1
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Agents run in this process on one GMainContext; a watchdog timeout source
 * fails the test instead of hanging. What one of our agents cannot produce
 * (a forking proxy, a redirect server, a digest challenge, a late-offer
 * INVITE) is played by SIPp with the scenarios in tests/sip/agent/sipp/.
 * TLS certificates are made by the openssl CLI in a temporary directory.
 */

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "sdes-agent.h"
#include "test-sdes-agent-harness.h"
#include "test-sdes-agent-sdp.h"

#if defined(__SANITIZE_ADDRESS__)
/* Sofia-SIP's TLS transport leaks its SSL objects (tests/lsan.supp); the
 * suppressions name Sofia functions, which the fast unwinder never reaches
 * through libcrypto (no frame pointers). ASAN_OPTIONS from the environment
 * still override these defaults. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:malloc_context_size=40";
}
#endif

/* ------------------------------------------------------------------------- */
/* TLS                                                                        */
/* ------------------------------------------------------------------------- */

static void
run_openssl (Fixture *f, const gchar *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;
  gint status = 0;

  g_ptr_array_add (argv, (gpointer) "openssl");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (f->tmpdir, (gchar **) argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl %s failed: %s", args[0], err);
}

/* Makes CA "<ca>.pem"/"<ca>.key" (self-signed) when @cert is NULL, else
 * "<cert>.pem"/"<cert>.key" for 127.0.0.1/localhost signed by @ca. P-256
 * keys: fast to make. */
static void
make_cert (Fixture *f, const gchar *ca, const gchar *cert)
{
  g_autofree gchar *ca_pem = g_strdup_printf ("%s.pem", ca);
  g_autofree gchar *ca_key = g_strdup_printf ("%s.key", ca);

  if (cert == NULL) {
    g_autofree gchar *subj = g_strdup_printf ("/CN=srtpsdes test %s", ca);
    const gchar *args[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                            "-subj", subj, "-keyout", ca_key, "-out", ca_pem, NULL };
    run_openssl (f, args);
  } else {
    g_autofree gchar *pem = g_strdup_printf ("%s.pem", cert);
    g_autofree gchar *key = g_strdup_printf ("%s.key", cert);
    const gchar *args[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-CA", ca_pem, "-CAkey", ca_key,
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", key, "-out", pem, NULL };
    run_openssl (f, args);
  }
}

static gchar *
tmp_path (Fixture *f, const gchar *name)
{
  return g_build_filename (f->tmpdir, name, NULL);
}

/* Trusted CA "ca" with leaf "agent"; untrusted CA "rogue-ca" with "rogue". */
static void
make_tls_files (Fixture *f)
{
  make_cert (f, "ca", NULL);
  make_cert (f, "ca", "agent");
  make_cert (f, "rogue-ca", NULL);
  make_cert (f, "rogue-ca", "rogue");
}

/* An agent on sips:127.0.0.1:<any> presenting @cert ("agent" or "rogue")
 * and trusting "ca". */
static SdesAgent *
new_tls_agent (Fixture *f, const gchar *cert, gboolean also_udp, guint media_port)
{
  const gchar *tls_only[] = { "sips:127.0.0.1:0", NULL };
  const gchar *both[] = { "sip:127.0.0.1:0;transport=udp", "sips:127.0.0.1:0", NULL };
  g_autofree gchar *cert_name = g_strdup_printf ("%s.pem", cert);
  g_autofree gchar *key_name = g_strdup_printf ("%s.key", cert);
  g_autofree gchar *cert_file = tmp_path (f, cert_name);
  g_autofree gchar *key_file = tmp_path (f, key_name);
  g_autofree gchar *ca_file = tmp_path (f, "ca.pem");
  SdesAgent *agent = new_agent (f, also_udp ? both : tls_only, media_port);

  g_object_set (agent, "tls-cert-file", cert_file, "tls-key-file", key_file,
                "tls-ca-file", ca_file, NULL);
  return agent;
}

typedef struct {
  guint count;
  gchar *peer;
  GError *error;
} TlsWatch;

static void
on_tls_failed (SdesAgent *agent, const gchar *peer, const GError *error, TlsWatch *t)
{
  t->count++;
  g_free (t->peer);
  t->peer = g_strdup (peer);
  g_clear_error (&t->error);
  t->error = g_error_copy (error);
}

static void
tls_watch_clear (TlsWatch *t)
{
  g_free (t->peer);
  g_clear_error (&t->error);
}

typedef struct {
  SdesSrtpPolicy caller;
  SdesSrtpPolicy callee;
  guint end_status;          /* 0: established */
  gboolean secure;
  const gchar *offer_m;
  const gchar *answer_m;
} PolicyCase;

/* Cisco Table 46 over sips: with require-secure-signaling on both sides:
 * the signaling is secure, so Table 44 allows keys and the outcome is the
 * same as the plain table (mandatory works without any "allow insecure"). */
static const PolicyCase tls_cases[] = {
  { SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_OFF, 0, FALSE, "m=audio RTP/AVP 0", "m=audio RTP/AVP 0" },
  { SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_OPTIONAL, 0, FALSE, "m=audio RTP/AVP 0", "m=audio RTP/AVP 0" },
  { SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_MANDATORY, 488, FALSE, "m=audio RTP/AVP 0", NULL },
  { SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_OFF, 0, FALSE, "m=audio RTP/AVP 0", "m=audio RTP/AVP 0" },
  { SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_OPTIONAL, 0, TRUE, "m=audio RTP/SAVP 0", "m=audio RTP/SAVP 0" },
  { SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_MANDATORY, 0, TRUE, "m=audio RTP/SAVP 0", "m=audio RTP/SAVP 0" },
  { SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_OFF, 488, FALSE, "m=audio RTP/SAVP 0", NULL },
  { SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_OPTIONAL, 0, TRUE, "m=audio RTP/SAVP 0", "m=audio RTP/SAVP 0" },
  { SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY, 0, TRUE, "m=audio RTP/SAVP 0", "m=audio RTP/SAVP 0" },
};

static void
test_tls_policy_table (Fixture *f, gconstpointer data)
{
  SdesAgent *alice, *bob_agent;
  Peer bob = { 0 };
  TlsWatch tls = { 0 };

  make_tls_files (f);
  alice = new_tls_agent (f, "agent", FALSE, 40000);
  bob_agent = new_tls_agent (f, "agent", FALSE, 41000);
  g_object_set (alice, "require-secure-signaling", TRUE, NULL);
  g_object_set (bob_agent, "require-secure-signaling", TRUE, NULL);
  start_agent (f, alice);
  peer_init (f, &bob, bob_agent, "bob");
  g_assert_true (g_str_has_prefix (bob.uri, "sips:bob@127.0.0.1:"));
  /* Good handshakes and normal closes are no TLS failure. */
  g_signal_connect (alice, "tls-failed", G_CALLBACK (on_tls_failed), &tls);
  g_signal_connect (bob_agent, "tls-failed", G_CALLBACK (on_tls_failed), &tls);

  for (guint i = 0; i < G_N_ELEMENTS (tls_cases); i++) {
    const PolicyCase *c = &tls_cases[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(SdesCall) call = NULL;
    g_autofree gchar *offer = NULL, *offer_m = NULL;
    CallWatch w = { 0 };
    guint before = bob.incoming_count;

    g_object_set (alice, "srtp-policy", c->caller, NULL);
    g_object_set (bob_agent, "srtp-policy", c->callee, NULL);
    call = sdes_agent_call (alice, bob.uri, NULL, &error);
    g_assert_no_error (error);
    watch_call (call, &w);
    wait_ready_or_ended (f, &w);
    offer = call_sdp (call, "local-sdp");
    offer_m = m_line_profile (offer);
    g_test_message ("TLS: caller %u callee %u -> %s (%u), secure=%d, offer '%s'",
                    c->caller, c->callee, w.ended ? "ended" : "established", w.end_status,
                    sdes_call_is_secure (call), offer_m);
    g_assert_cmpstr (offer_m, ==, c->offer_m);
    if (c->end_status != 0) {
      g_assert_true (w.ended);
      g_assert_cmpuint (w.end_status, ==, c->end_status);
      g_assert_cmpuint (bob.incoming_count, ==, before);
    } else {
      g_autofree gchar *answer = call_sdp (call, "remote-sdp");
      g_autofree gchar *answer_m = m_line_profile (answer);
      CallWatch bw = { 0 };

      g_assert_true (w.ready);
      g_assert_cmpuint (bob.incoming_count, ==, before + 1);
      g_assert_cmpstr (answer_m, ==, c->answer_m);
      g_assert_cmpuint (count_crypto (answer), ==, c->secure ? 1 : 0);
      g_assert_cmpint (sdes_call_is_secure (call), ==, c->secure);
      watch_call (bob.incoming, &bw);
      hangup_and_wait (f, call, &w);
      while (!bw.ended)
        g_main_context_iteration (f->ctx, TRUE);
      unwatch_call (bob.incoming, &bw);
    }
    unwatch_call (call, &w);
  }
  g_assert_cmpuint (tls.count, ==, 0);
  g_signal_handlers_disconnect_by_data (alice, &tls);
  g_signal_handlers_disconnect_by_data (bob_agent, &tls);
  tls_watch_clear (&tls);
  peer_clear (&bob);
}

/* "Only accept trusted certificates" (Yealink), on by default: a callee
 * whose certificate is not signed by a trusted CA is never reached, and the
 * caller learns why within a second (Sofia-SIP 1.12.11 itself would leave
 * the INVITE to time out after 32 s with a bare 408). */
static void
test_tls_untrusted_peer_fails (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *peer = NULL;
  SdesAgent *alice, *bob_agent;
  Peer bob = { 0 };
  CallWatch w = { 0 };
  TlsWatch t = { 0 };
  gboolean verify = FALSE;
  guint bport = 0;
  gint64 t0, elapsed;

  make_tls_files (f);
  alice = new_tls_agent (f, "agent", FALSE, 40000);
  bob_agent = new_tls_agent (f, "rogue", FALSE, 41000);
  g_object_get (alice, "tls-verify", &verify, NULL);
  g_assert_true (verify);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY,
                "require-secure-signaling", TRUE, NULL);
  g_signal_connect (alice, "tls-failed", G_CALLBACK (on_tls_failed), &t);
  start_agent (f, alice);
  peer_init (f, &bob, bob_agent, "bob");
  g_assert_cmpint (sscanf (bob.uri, "sips:bob@127.0.0.1:%u", &bport), ==, 1);
  peer = g_strdup_printf ("127.0.0.1:%u", bport);

  t0 = g_get_monotonic_time ();
  call = sdes_agent_call (alice, bob.uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  elapsed = g_get_monotonic_time () - t0;
  g_test_message ("call to an untrusted certificate: %u %s after %.3f s (%s)", w.end_status,
                  w.end_reason, elapsed / 1e6,
                  end_reason_nick (w.end_why));
  g_assert_true (w.ended);
  g_assert_false (w.ready);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_TLS_FAILED);
  g_assert_cmpuint (w.end_status, ==, 503);
  g_assert_nonnull (strstr (w.end_reason, peer));
  g_assert_nonnull (strstr (w.end_reason, "unknown CA"));
  g_assert_cmpuint (bob.incoming_count, ==, 0);
  /* The agent reports it too, as a GError. */
  g_assert_cmpuint (t.count, ==, 1);
  g_assert_cmpstr (t.peer, ==, peer);
  g_assert_error (t.error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_TLS_HANDSHAKE);
  g_assert_nonnull (strstr (t.error->message, "unknown CA"));
  g_signal_handlers_disconnect_by_data (alice, &t);
  tls_watch_clear (&t);
  unwatch_call (call, &w);
  peer_clear (&bob);
}

/* TPTLS_VERIFY_ALL works both ways: a callee that does not trust the
 * caller's certificate refuses the handshake. Both sides say so at once:
 * the callee's agent emits tls-failed naming the cause (unknown CA), the
 * caller's call ends with tls-failed "refused our certificate" (Sofia-SIP
 * 1.12.11 alone shows it a bare 503). */
static void
test_tls_client_certificate_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  SdesAgent *alice, *bob_agent;
  Peer bob = { 0 };
  CallWatch w = { 0 };
  TlsWatch t = { 0 };
  gint64 t0, elapsed;

  make_tls_files (f);
  alice = new_tls_agent (f, "rogue", FALSE, 40000);
  bob_agent = new_tls_agent (f, "agent", FALSE, 41000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY,
                "require-secure-signaling", TRUE, NULL);
  g_signal_connect (bob_agent, "tls-failed", G_CALLBACK (on_tls_failed), &t);
  start_agent (f, alice);
  peer_init (f, &bob, bob_agent, "bob");

  t0 = g_get_monotonic_time ();
  call = sdes_agent_call (alice, bob.uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  while (t.count == 0)
    g_main_context_iteration (f->ctx, TRUE);
  elapsed = g_get_monotonic_time () - t0;
  g_test_message ("refused client certificate: caller %u %s (%s); callee: %s, after %.3f s",
                  w.end_status, w.end_reason,
                  end_reason_nick (w.end_why), t.error->message,
                  elapsed / 1e6);
  g_assert_true (w.ended);
  g_assert_false (w.ready);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (w.end_why, ==, SDES_CALL_END_REASON_TLS_FAILED);
  g_assert_nonnull (strstr (w.end_reason, "refused our certificate"));
  g_assert_cmpuint (bob.incoming_count, ==, 0);
  g_assert_error (t.error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_TLS_HANDSHAKE);
  g_assert_nonnull (strstr (t.error->message, "unknown CA"));
  g_signal_handlers_disconnect_by_data (bob_agent, &t);
  tls_watch_clear (&t);
  unwatch_call (call, &w);
  peer_clear (&bob);
}

/* tls-verify=FALSE is loud (a man in the middle reads every key) and then
 * really accepts the untrusted certificate. */
static void
test_tls_verify_off_warns (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  SdesAgent *alice, *bob_agent;
  Peer bob = { 0 };
  CallWatch w = { 0 };

  make_tls_files (f);
  alice = new_tls_agent (f, "agent", FALSE, 40000);
  bob_agent = new_tls_agent (f, "rogue", FALSE, 41000);
  g_object_set (alice, "tls-verify", FALSE, NULL);
  g_test_expect_message ("srtpsdes-sip", G_LOG_LEVEL_WARNING, "*verification is OFF*");
  start_agent (f, alice);
  g_test_assert_expected_messages ();
  peer_init (f, &bob, bob_agent, "bob");

  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  call = sdes_agent_call (alice, bob.uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  g_assert_true (w.ready);
  g_assert_true (sdes_call_is_secure (call));
  hangup_and_wait (f, call, &w);
  unwatch_call (call, &w);
  peer_clear (&bob);
}

/* ------------------------------------------------------------------------- */
/* Forking (SIPp as the forking proxy)                                        */
/* ------------------------------------------------------------------------- */

/* Cisco "Signaling Forking", RFC 3261 §13.2.2.4: two 183s from
 * different To-tags with different keys give two early-media signals, each
 * with its own remote key; the 200 of the second fork wins (media-ready has
 * its key), the first fork's keys are released, and its late 200 is ACKed
 * and BYEd (SIPp checks both requests carry tag=fork-one; Sofia's nta does
 * this itself, no nua event reaches the agent). */
static void
test_forking_two_early_dialogs (Fixture *f, gconstpointer data)
{
  g_autoptr(SdesCryptoAttr) key1 = NULL, key2 = NULL;
  g_autofree gchar *k1 = make_test_key (&key1);
  g_autofree gchar *k2 = make_test_key (&key2);
  const gchar *keys[] = { "key1", k1, "key2", k2, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *target = NULL;
  SdesAgent *alice;
  CallWatch w = { 0 };
  Sipp sipp = { 0 };

  if (!sipp_start (f, &sipp, "fork-uas.xml", NULL, keys))
    return;
  alice = new_udp_agent (f, 40000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  start_agent (f, alice);

  target = g_strdup_printf ("sip:forked@127.0.0.1:%u", sipp.port);
  call = sdes_agent_call (alice, target, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  g_assert_true (w.ready);

  /* One early-media per fork, each with that fork's key and port. */
  g_assert_cmpuint (w.early->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (w.early_tags, 0), ==, "fork-one");
  g_assert_cmpstr (g_ptr_array_index (w.early_tags, 1), ==, "fork-two");
  {
    SdesMediaDescription *e1 = g_ptr_array_index (w.early, 0);
    SdesMediaDescription *e2 = g_ptr_array_index (w.early, 1);
    SdesMediaDescription *m = g_ptr_array_index (w.media, 0);

    g_assert_true (sdes_crypto_attr_same_keys (e1->remote_crypto, key1));
    g_assert_true (sdes_crypto_attr_same_keys (e2->remote_crypto, key2));
    g_assert_cmpuint (e1->remote_port, ==, 42010);
    g_assert_cmpuint (e2->remote_port, ==, 42020);
    /* Our send key is the one offered, the same towards every fork. */
    g_assert_true (sdes_crypto_attr_same_keys (e1->local_crypto, e2->local_crypto));
    /* The winner. */
    g_assert_cmpstr (m->dialog_tag, ==, "fork-two");
    g_assert_true (sdes_crypto_attr_same_keys (m->remote_crypto, key2));
    g_assert_cmpuint (m->remote_port, ==, 42020);
  }
  g_assert_cmpuint (w.released_tags->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (w.released_tags, 0), ==, "fork-one");
  g_assert_true (sdes_call_is_secure (call));

  /* SIPp goes on: a late 200 from fork-one, which Sofia's nta ACKs and
   * BYEs by itself (SIPp checks both carry tag=fork-one); then fork-two
   * hangs up. The call stays the winner's until then. */
  while (!w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_assert_cmpuint (w.end_status, ==, 200);
  g_assert_cmpuint (w.released_tags->len, ==, 1);
  sipp_finish (f, &sipp);
  unwatch_call (call, &w);
}

/* ------------------------------------------------------------------------- */
/* 3xx redirect (SIPp as the redirect server, real agents as the targets)     */
/* ------------------------------------------------------------------------- */

/* Calls the SIPp redirect server, which answers 302 with @contacts. */
static SdesCall *
call_redirect_server (Fixture *f, SdesAgent *alice, Sipp *sipp, CallWatch *w)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *target = g_strdup_printf ("sip:moved@127.0.0.1:%u", sipp->port);
  SdesCall *call = sdes_agent_call (alice, target, NULL, &error);

  g_assert_no_error (error);
  watch_call (call, w);
  wait_ready_or_ended (f, w);
  sipp_finish (f, sipp);
  return call;
}

/* RFC 3261 §8.1.3.4: Contacts are tried in order. Carol (policy off) 488s
 * the mandatory SRTP offer, no fallback under mandatory (Cisco "SRTP Offer
 * and Answer Exchange"); bob, next in the list, takes the call with SRTP. */
static void
test_redirect_follows_contacts_in_order (Fixture *f, gconstpointer data)
{
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *contacts = NULL, *offer = NULL, *offer_m = NULL;
  SdesAgent *alice;
  Peer bob = { 0 }, carol = { 0 };
  CallWatch w = { 0 };
  Sipp sipp = { 0 };
  guint invites = 0;

  alice = new_udp_agent (f, 40000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  start_agent (f, alice);
  peer_init (f, &carol, new_udp_agent (f, 43000), "carol");
  g_object_set (carol.agent, "srtp-policy", SDES_SRTP_POLICY_OFF, NULL);
  peer_init (f, &bob, new_udp_agent (f, 41000), "bob");
  g_object_set (bob.agent, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, NULL);

  contacts = g_strdup_printf ("<%s>, <%s>", carol.uri, bob.uri);
  {
    const gchar *keys[] = { "contacts", contacts, NULL };
    if (!sipp_start (f, &sipp, "redirect-uas.xml", NULL, keys))
      goto out;
  }
  call = call_redirect_server (f, alice, &sipp, &w);

  g_assert_true (w.ready);
  g_assert_cmpuint (w.redirects->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (w.redirects, 0), ==, carol.uri);
  g_assert_cmpstr (g_ptr_array_index (w.redirects, 1), ==, bob.uri);
  g_assert_cmpstr (sdes_call_get_remote_uri (call), ==, bob.uri);
  g_assert_cmpuint (carol.incoming_count, ==, 0);   /* 488 before the app */
  g_assert_cmpuint (bob.incoming_count, ==, 1);
  g_object_get (call, "invites-sent", &invites, NULL);
  g_assert_cmpuint (invites, ==, 3);                /* SIPp, carol, bob */
  offer = call_sdp (call, "local-sdp");
  offer_m = m_line_profile (offer);
  g_assert_cmpstr (offer_m, ==, "m=audio RTP/SAVP 0");
  g_assert_true (sdes_call_is_secure (call));
  hangup_and_wait (f, call, &w);

out:
  if (call != NULL)
    unwatch_call (call, &w);
  peer_clear (&bob);
  peer_clear (&carol);
}

/* Cisco "Call Redirection" with require-secure-signaling and the optional
 * policy ("securertp fallback"): the first INVITE to a sip: URI carries the
 * RTP offer (Table 44), a 302 to a sip: Contact again gives an RTP offer,
 * a 302 to a sips: Contact gives the SRTP offer over TLS and the call is
 * secure (and mandatory from then on: no RTP fallback on a TLS dialog). */
static void
run_redirect_scheme (Fixture *f, gboolean sips_contact)
{
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *contacts = NULL, *offer = NULL, *offer_m = NULL;
  SdesAgent *alice, *bob_agent;
  Peer bob = { 0 };
  CallWatch w = { 0 };
  Sipp sipp = { 0 };

  make_tls_files (f);
  alice = new_tls_agent (f, "agent", TRUE, 40000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL,
                "require-secure-signaling", TRUE, NULL);
  start_agent (f, alice);
  if (sips_contact) {
    bob_agent = new_tls_agent (f, "agent", FALSE, 41000);
    g_object_set (bob_agent, "require-secure-signaling", TRUE, NULL);
  } else {
    bob_agent = new_udp_agent (f, 41000);
  }
  g_object_set (bob_agent, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, NULL);
  peer_init (f, &bob, bob_agent, "bob");
  g_assert_true (g_str_has_prefix (bob.uri, sips_contact ? "sips:" : "sip:"));

  contacts = g_strdup_printf ("<%s>", bob.uri);
  {
    const gchar *keys[] = { "contacts", contacts, NULL };
    if (!sipp_start (f, &sipp, "redirect-uas.xml", NULL, keys))
      goto out;
  }
  call = call_redirect_server (f, alice, &sipp, &w);
  g_assert_true (w.ready);
  g_assert_cmpuint (w.redirects->len, ==, 1);
  offer = call_sdp (call, "local-sdp");
  offer_m = m_line_profile (offer);
  g_test_message ("302 to %s: offer '%s', %u a=crypto", bob.uri, offer_m, count_crypto (offer));
  if (sips_contact) {
    g_assert_cmpstr (offer_m, ==, "m=audio RTP/SAVP 0");
    g_assert_cmpuint (count_crypto (offer), ==, 2);
    g_assert_true (sdes_call_is_secure (call));
  } else {
    g_assert_cmpstr (offer_m, ==, "m=audio RTP/AVP 0");
    g_assert_cmpuint (count_crypto (offer), ==, 0);
    g_assert_false (sdes_call_is_secure (call));
  }
  hangup_and_wait (f, call, &w);

out:
  if (call != NULL)
    unwatch_call (call, &w);
  peer_clear (&bob);
}

static void
test_redirect_to_sip_contact (Fixture *f, gconstpointer data)
{
  run_redirect_scheme (f, FALSE);
}

static void
test_redirect_to_sips_contact (Fixture *f, gconstpointer data)
{
  run_redirect_scheme (f, TRUE);
}

/* ------------------------------------------------------------------------- */
/* Blind transfer (three agents)                                              */
/* ------------------------------------------------------------------------- */

typedef struct {
  GArray *statuses;           /* guint, refer-progress */
  SdesCall *started;          /* transfer-started */
} TransferWatch;

static void
on_refer_progress (SdesCall *call, guint status, const gchar *reason, TransferWatch *t)
{
  g_test_message ("NOTIFY to the referrer: %u %s", status, reason);
  g_array_append_val (t->statuses, status);
}

static void
on_transfer_started (SdesCall *call, SdesCall *target_call, TransferWatch *t)
{
  g_assert_null (t->started);
  t->started = g_object_ref (target_call);
}

/* RFC 3515 + Cisco "Call Transfer": A calls B, B REFERs A to C; A calls C with the
 * policy of the A-B call (mandatory, although A's agent is set to off in
 * between), B sees NOTIFY 100 Trying then 200 OK. */
static void
test_transfer_blind (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *offer = NULL, *offer_m = NULL;
  SdesAgent *alice;
  Peer bob = { 0 }, carol = { 0 };
  CallWatch w = { 0 }, tw = { 0 };
  TransferWatch t = { g_array_new (FALSE, FALSE, sizeof (guint)), NULL };
  SdesCall *b_call;

  alice = new_udp_agent (f, 40000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  start_agent (f, alice);
  peer_init (f, &bob, new_udp_agent (f, 41000), "bob");
  peer_init (f, &carol, new_udp_agent (f, 43000), "carol");
  g_object_set (carol.agent, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, NULL);

  call = sdes_agent_call (alice, bob.uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  g_assert_true (w.ready);
  b_call = bob.incoming;
  while (sdes_call_get_state (b_call) != SDES_CALL_STATE_ACTIVE)
    g_main_context_iteration (f->ctx, TRUE);

  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_OFF, NULL);
  g_signal_connect (call, "transfer-started", G_CALLBACK (on_transfer_started), &t);
  g_signal_connect (b_call, "refer-progress", G_CALLBACK (on_refer_progress), &t);
  g_assert_true (sdes_call_refer (b_call, carol.uri, &error));
  g_assert_no_error (error);

  while (t.statuses->len == 0 || g_array_index (t.statuses, guint, t.statuses->len - 1) < 200)
    g_main_context_iteration (f->ctx, TRUE);

  g_assert_cmpuint (t.statuses->len, >=, 2);
  g_assert_cmpuint (g_array_index (t.statuses, guint, 0), ==, 100);
  g_assert_cmpuint (g_array_index (t.statuses, guint, t.statuses->len - 1), ==, 200);
  g_assert_nonnull (t.started);
  g_assert_cmpstr (sdes_call_get_remote_uri (t.started), ==, carol.uri);
  g_assert_cmpuint (carol.incoming_count, ==, 1);
  g_assert_cmpint (sdes_call_get_state (t.started), ==, SDES_CALL_STATE_ACTIVE);
  /* Inherited mandatory: SRTP-only offer, secure call. */
  offer = call_sdp (t.started, "local-sdp");
  offer_m = m_line_profile (offer);
  g_assert_cmpstr (offer_m, ==, "m=audio RTP/SAVP 0");
  g_assert_true (sdes_call_is_secure (t.started));

  /* The transferor leaves; the transferred call goes on. */
  g_assert_true (sdes_call_hangup (b_call, &error));
  while (!w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_assert_cmpint (sdes_call_get_state (t.started), ==, SDES_CALL_STATE_ACTIVE);
  watch_call (t.started, &tw);
  hangup_and_wait (f, t.started, &tw);
  unwatch_call (t.started, &tw);

  g_signal_handlers_disconnect_by_data (b_call, &t);
  unwatch_call (call, &w);
  g_clear_object (&t.started);
  g_array_unref (t.statuses);
  peer_clear (&bob);
  peer_clear (&carol);
}

/* ------------------------------------------------------------------------- */
/* Digest authentication of the INVITE (SIPp verifies the digest)             */
/* ------------------------------------------------------------------------- */

/* RFC 3261 §22.2: 401 with WWW-Authenticate to the INVITE; the agent
 * re-sends it with Authorization from its credentials (SIPp's verifyauth
 * accepts only the right digest, else 403) and the same SRTP offer. */
static void
test_digest_auth_invite (Fixture *f, gconstpointer data)
{
  g_autoptr(SdesCryptoAttr) key1 = NULL;
  g_autofree gchar *k1 = make_test_key (&key1);
  const gchar *keys[] = { "key1", k1, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *target = NULL;
  SdesAgent *alice;
  CallWatch w = { 0 };
  Sipp sipp = { 0 };
  guint invites = 0;

  if (!sipp_start (f, &sipp, "auth-uas.xml", NULL, keys))
    return;
  alice = new_udp_agent (f, 40000);
  g_object_set (alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY,
                "auth-username", "alice", "auth-password", "s3cret-test", NULL);
  start_agent (f, alice);

  target = g_strdup_printf ("sip:auth@127.0.0.1:%u", sipp.port);
  call = sdes_agent_call (alice, target, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  wait_ready_or_ended (f, &w);
  g_assert_true (w.ready);
  /* The challenge did not make a new offer. */
  g_object_get (call, "invites-sent", &invites, NULL);
  g_assert_cmpuint (invites, ==, 1);
  {
    SdesMediaDescription *m = g_ptr_array_index (w.media, 0);
    g_assert_true (m->secure);
    g_assert_true (sdes_crypto_attr_same_keys (m->remote_crypto, key1));
  }
  hangup_and_wait (f, call, &w);
  sipp_finish (f, &sipp);
  unwatch_call (call, &w);
}

/* ------------------------------------------------------------------------- */
/* Late offer (SIPp sends INVITE without SDP)                                 */
/* ------------------------------------------------------------------------- */

/* RFC 3261 §13.2.1 / RFC 3264 §4: we offer in the 200 (SRTP under
 * mandatory: SIPp checks RTP/SAVP and a tag-1 AES_CM_128_HMAC_SHA1_80 line)
 * and take the answer from the ACK: media-ready carries SIPp's key. */
static void
test_late_offer_answer_in_ack (Fixture *f, gconstpointer data)
{
  g_autoptr(SdesCryptoAttr) key1 = NULL;
  g_autofree gchar *k1 = make_test_key (&key1);
  const gchar *keys[] = { "key1", k1, NULL };
  g_autofree gchar *remote = NULL, *offer = NULL, *offer_m = NULL;
  Peer bob = { 0 };
  CallWatch w = { 0 };
  Sipp sipp = { 0 };
  guint bport = 0;

  peer_init (f, &bob, new_udp_agent (f, 41000), "bob");
  g_object_set (bob.agent, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  g_assert_cmpint (sscanf (sdes_agent_get_contact (bob.agent), "sip:127.0.0.1:%u", &bport), ==, 1);
  remote = g_strdup_printf ("127.0.0.1:%u", bport);
  if (!sipp_start (f, &sipp, "late-offer-uac.xml", remote, keys))
    goto out;

  while (bob.incoming == NULL)
    g_main_context_iteration (f->ctx, TRUE);
  watch_call (bob.incoming, &w);
  wait_ready_or_ended (f, &w);
  g_assert_true (w.ready);
  offer = call_sdp (bob.incoming, "local-sdp");
  offer_m = m_line_profile (offer);
  g_assert_cmpstr (offer_m, ==, "m=audio RTP/SAVP 0");
  g_assert_cmpuint (count_crypto (offer), ==, 2);
  g_assert_true (sdes_call_is_secure (bob.incoming));
  {
    SdesMediaDescription *m = g_ptr_array_index (w.media, 0);
    g_assert_true (sdes_crypto_attr_same_keys (m->remote_crypto, key1));
    g_assert_cmpuint (m->remote_port, ==, 42030);
    g_assert_cmpuint (m->local_port, ==, 41000);
  }
  hangup_and_wait (f, bob.incoming, &w);
  sipp_finish (f, &sipp);
  unwatch_call (bob.incoming, &w);

out:
  peer_clear (&bob);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/agent/tls/table46-3x3-over-sips-with-require-secure-signaling", test_tls_policy_table);
  ADD ("/agent/tls/untrusted-peer-certificate-fails-the-call-at-once",
       test_tls_untrusted_peer_fails);
  ADD ("/agent/tls/refused-client-certificate-reported-on-both-sides",
       test_tls_client_certificate_refused);
  ADD ("/agent/tls/verify-off-warns-and-accepts-untrusted", test_tls_verify_off_warns);
  ADD ("/agent/fork/two-183-own-keys-200-wins-late-200-acked-and-byed",
       test_forking_two_early_dialogs);
  ADD ("/agent/redirect/302-contacts-in-order-mandatory", test_redirect_follows_contacts_in_order);
  ADD ("/agent/redirect/302-to-sip-contact-optional-insecure-gets-rtp-offer",
       test_redirect_to_sip_contact);
  ADD ("/agent/redirect/302-to-sips-contact-gets-srtp-offer",
       test_redirect_to_sips_contact);
  ADD ("/agent/transfer/refer-new-call-inherits-policy-notify-200", test_transfer_blind);
  ADD ("/agent/auth/401-to-invite-answered-with-digest", test_digest_auth_invite);
  ADD ("/agent/late-offer/offer-in-200-answer-in-ack", test_late_offer_answer_in_ack);
#undef ADD

  return g_test_run ();
}
