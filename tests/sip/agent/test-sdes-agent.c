/* srtpsdes — SdesAgent/SdesCall over real Sofia stacks on 127.0.0.1
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two agents in one process on one GMainContext; a watchdog timeout source
 * fails the test instead of hanging. No mocks: real nua, real sockets.
 */

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <sofia-sip/su_log.h>

#include "sdes-agent.h"
#include "test-sdes-agent-sdp.h"

extern su_log_t nua_log[];
extern su_log_t nta_log[];
extern su_log_t tport_log[];

#define WATCHDOG_SECONDS 20

/* ------------------------------------------------------------------------- */
/* Log capture (g_log_set_writer_func may be set only once per process)       */
/* ------------------------------------------------------------------------- */

static GString *captured_log;
static GMutex captured_lock;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                gpointer user_data)
{
  g_mutex_lock (&captured_lock);
  if (captured_log != NULL) {
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0) {
        if (fields[i].length < 0)
          g_string_append (captured_log, fields[i].value);
        else
          g_string_append_len (captured_log, fields[i].value, fields[i].length);
        g_string_append_c (captured_log, '\n');
      }
  }
  g_mutex_unlock (&captured_lock);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

/* ------------------------------------------------------------------------- */
/* Fixture                                                                    */
/* ------------------------------------------------------------------------- */

typedef struct {
  GMainContext *ctx;
  GSource *watchdog;
  SdesAgent *alice;   /* caller */
  SdesAgent *bob;     /* callee */
  gchar *bob_uri;
  SdesCall *incoming; /* bob's side of the current call */
  guint incoming_count;
} Fixture;

static gboolean
watchdog_fired (gpointer data)
{
  g_error ("watchdog: test did not finish within %d s", WATCHDOG_SECONDS);
  return G_SOURCE_REMOVE;
}

static void
wait_for_flag (Fixture *f, const gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (f->ctx, TRUE);
}

static void
on_ready (SdesAgent *agent, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static SdesLocalMedia *
make_local (guint port)
{
  SdesLocalMedia *local = sdes_local_media_new ("127.0.0.1");
  guint s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, port);
  sdes_local_media_add_codec (local, s, 0, "PCMU", 8000, 1, NULL);
  return local;
}

static SdesAgent *
start_agent (Fixture *f, const gchar *bind, guint media_port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesLocalMedia) local = make_local (media_port);
  const gchar *binds[] = { bind, NULL };
  SdesAgent *agent = sdes_agent_new (f->ctx);
  gboolean ready = FALSE;
  gulong id;

  g_object_set (agent, "bind-uris", binds, "local-media", local,
                "user-agent", "srtpsdes-test",
                /* The UDP/TCP matrix tests negotiate SRTP over plain
                 * signaling; TLS tests turn Table 44 back on. */
                "require-secure-signaling", FALSE, NULL);
  id = g_signal_connect (agent, "ready", G_CALLBACK (on_ready), &ready);
  g_assert_true (sdes_agent_start (agent, &error));
  g_assert_no_error (error);
  wait_for_flag (f, &ready);
  g_signal_handler_disconnect (agent, id);
  g_assert_nonnull (sdes_agent_get_contact (agent));
  return agent;
}

static void
on_incoming (SdesAgent *agent, SdesCall *call, Fixture *f)
{
  g_clear_object (&f->incoming);
  f->incoming = g_object_ref (call);
  f->incoming_count++;
  g_assert_true (sdes_call_accept (call, NULL));
}

static gchar *
user_uri (const gchar *contact, const gchar *user)
{
  g_assert_true (g_str_has_prefix (contact, "sip:"));
  return g_strdup_printf ("sip:%s@%s", user, contact + 4);
}

static void
fixture_setup_transport (Fixture *f, const gchar *transport)
{
  g_autofree gchar *bind = g_strdup_printf ("sip:127.0.0.1:0;transport=%s", transport);

  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->watchdog = g_timeout_source_new_seconds (WATCHDOG_SECONDS);
  g_source_set_callback (f->watchdog, watchdog_fired, NULL, NULL);
  g_source_attach (f->watchdog, f->ctx);

  f->alice = start_agent (f, bind, 40000);
  f->bob = start_agent (f, bind, 41000);
  f->bob_uri = user_uri (sdes_agent_get_contact (f->bob), "bob");
  g_signal_connect (f->bob, "incoming-call", G_CALLBACK (on_incoming), f);
}

static void
fixture_setup_udp (Fixture *f, gconstpointer data)
{
  fixture_setup_transport (f, "udp");
}

/* Maximum Sofia verbosity: TPORT_LOG is read when the transports are
 * created, so it is set before the agents start. */
static void
fixture_setup_verbose (Fixture *f, gconstpointer data)
{
  g_setenv ("TPORT_LOG", "1", TRUE);
  su_log_set_level (nua_log, 9);
  su_log_set_level (nta_log, 9);
  su_log_set_level (tport_log, 9);
  fixture_setup_transport (f, "udp");
}

static void
fixture_teardown_verbose (Fixture *f, gconstpointer data);

static void
fixture_setup_tcp (Fixture *f, gconstpointer data)
{
  fixture_setup_transport (f, "tcp");
}

static void
on_shutdown_complete (SdesAgent *agent, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
shutdown_agent (Fixture *f, SdesAgent *agent)
{
  gboolean done = FALSE;

  if (sdes_agent_is_shut_down (agent))
    return;
  g_signal_connect (agent, "shutdown-complete", G_CALLBACK (on_shutdown_complete), &done);
  sdes_agent_shutdown (agent);
  wait_for_flag (f, &done);
  g_assert_true (sdes_agent_is_shut_down (agent));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->incoming);
  shutdown_agent (f, f->alice);
  shutdown_agent (f, f->bob);
  g_clear_object (&f->alice);
  g_clear_object (&f->bob);
  g_free (f->bob_uri);
  g_source_destroy (f->watchdog);
  g_source_unref (f->watchdog);
  g_main_context_pop_thread_default (f->ctx);
  /* Drain what the stacks left (closed sockets, idles) before unref. */
  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_main_context_unref (f->ctx);
}

/* ------------------------------------------------------------------------- */
/* Call helpers                                                               */
/* ------------------------------------------------------------------------- */

typedef struct {
  gboolean ready;
  gboolean ended;
  guint end_status;
  guint updates;
  GPtrArray *media;
} CallWatch;

static void
on_media_ready (SdesCall *call, GPtrArray *media, CallWatch *w)
{
  w->ready = TRUE;
  g_clear_pointer (&w->media, g_ptr_array_unref);
  w->media = g_ptr_array_ref (media);
}

static void
on_media_updated (SdesCall *call, GPtrArray *media, CallWatch *w)
{
  w->updates++;
  g_clear_pointer (&w->media, g_ptr_array_unref);
  w->media = g_ptr_array_ref (media);
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, CallWatch *w)
{
  w->ended = TRUE;
  w->end_status = status;
}

static void
watch_call (SdesCall *call, CallWatch *w)
{
  g_signal_connect (call, "media-ready", G_CALLBACK (on_media_ready), w);
  g_signal_connect (call, "media-updated", G_CALLBACK (on_media_updated), w);
  g_signal_connect (call, "ended", G_CALLBACK (on_ended), w);
}

static void
unwatch_call (SdesCall *call, CallWatch *w)
{
  g_signal_handlers_disconnect_by_data (call, w);
  g_clear_pointer (&w->media, g_ptr_array_unref);
}

/* ------------------------------------------------------------------------- */
/* Tests                                                                      */
/* ------------------------------------------------------------------------- */

static void
test_shutdown_completes (Fixture *f, gconstpointer data)
{
  /* Teardown runs nua_shutdown -> nua_r_shutdown(>=200) -> nua_destroy for
   * both agents and asserts shutdown-complete; here also a call is refused
   * after shutdown. */
  g_autoptr(GError) error = NULL;

  shutdown_agent (f, f->alice);
  g_assert_null (sdes_agent_call (f->alice, f->bob_uri, NULL, &error));
  g_assert_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NOT_STARTED);
}

typedef struct {
  SdesSrtpPolicy caller;
  SdesSrtpPolicy callee;
  /* expected */
  guint end_status;          /* 0: call established */
  gboolean secure;
  guint invites;             /* INVITEs with an initial offer sent by the caller */
  const gchar *offer_m;      /* the caller's last offer */
  guint offer_crypto;
  const gchar *answer_m;     /* bob's answer (NULL when refused) */
  guint answer_crypto;
} PolicyCase;

/* Cisco Table 46 (callee rows) × the caller's policy; fallback per the
 * Cisco "SDP Negotiation" text. SRTP offers carry the
 * engine's two default suites (two a=crypto lines), answers exactly one. */
static const PolicyCase policy_cases[] = {
  { SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_OFF, 0, FALSE, 1, "m=audio RTP/AVP 0", 0, "m=audio RTP/AVP 0", 0 },
  { SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_OPTIONAL, 0, FALSE, 1, "m=audio RTP/AVP 0", 0, "m=audio RTP/AVP 0", 0 },
  { SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_MANDATORY, 488, FALSE, 1, "m=audio RTP/AVP 0", 0, NULL, 0 },
  { SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_OFF, 0, FALSE, 2, "m=audio RTP/AVP 0", 0, "m=audio RTP/AVP 0", 0 },
  { SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_OPTIONAL, 0, TRUE, 1, "m=audio RTP/SAVP 0", 2, "m=audio RTP/SAVP 0", 1 },
  { SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_MANDATORY, 0, TRUE, 1, "m=audio RTP/SAVP 0", 2, "m=audio RTP/SAVP 0", 1 },
  { SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_OFF, 488, FALSE, 1, "m=audio RTP/SAVP 0", 2, NULL, 0 },
  { SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_OPTIONAL, 0, TRUE, 1, "m=audio RTP/SAVP 0", 2, "m=audio RTP/SAVP 0", 1 },
  { SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY, 0, TRUE, 1, "m=audio RTP/SAVP 0", 2, "m=audio RTP/SAVP 0", 1 },
};

static const gchar *
policy_name (SdesSrtpPolicy p)
{
  return p == SDES_SRTP_POLICY_OFF ? "off" : p == SDES_SRTP_POLICY_OPTIONAL ? "optional" : "mandatory";
}

static void
run_policy_case (Fixture *f, const PolicyCase *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *offer = NULL, *offer_m = NULL;
  CallWatch w = { 0 };
  guint invites = 0;
  guint before = f->incoming_count;

  g_object_set (f->alice, "srtp-policy", c->caller, NULL);
  g_object_set (f->bob, "srtp-policy", c->callee, NULL);

  call = sdes_agent_call (f->alice, f->bob_uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  while (!w.ready && !w.ended)
    g_main_context_iteration (f->ctx, TRUE);

  offer = call_sdp (call, "local-sdp");
  offer_m = m_line_profile (offer);
  g_object_get (call, "invites-sent", &invites, NULL);
  g_test_message ("caller %-9s callee %-9s -> %s, secure=%d, INVITEs=%u, offer '%s'",
                  policy_name (c->caller), policy_name (c->callee),
                  w.ended ? "ended" : "established", sdes_call_is_secure (call),
                  invites, offer_m);

  g_assert_cmpstr (offer_m, ==, c->offer_m);
  g_assert_cmpuint (count_crypto (offer), ==, c->offer_crypto);
  g_assert_cmpuint (invites, ==, c->invites);

  if (c->end_status != 0) {
    g_assert_true (w.ended);
    g_assert_cmpuint (w.end_status, ==, c->end_status);
    /* A refused offer never reaches the application. */
    g_assert_cmpuint (f->incoming_count, ==, before);
  } else {
    g_autofree gchar *answer = NULL, *answer_m = NULL, *received = NULL;
    CallWatch bw = { 0 };

    g_assert_true (w.ready);
    g_assert_cmpuint (f->incoming_count, ==, before + 1);
    answer = call_sdp (f->incoming, "local-sdp");
    received = call_sdp (call, "remote-sdp");
    /* What bob sent is what alice received. */
    g_assert_cmpstr (answer, ==, received);
    answer_m = m_line_profile (answer);
    g_assert_cmpstr (answer_m, ==, c->answer_m);
    g_assert_cmpuint (count_crypto (answer), ==, c->answer_crypto);
    g_assert_cmpint (sdes_call_is_secure (call), ==, c->secure);
    g_assert_nonnull (w.media);
    g_assert_cmpuint (w.media->len, ==, 1);
    {
      SdesMediaDescription *d = g_ptr_array_index (w.media, 0);
      g_assert_true (d->active);
      g_assert_cmpint (d->secure, ==, c->secure);
      g_assert_cmpuint (d->remote_port, ==, 41000);
      g_assert_cmpuint (d->local_port, ==, 40000);
      if (c->secure) {
        g_assert_nonnull (d->local_crypto);
        g_assert_nonnull (d->remote_crypto);
        g_assert_false (sdes_crypto_attr_same_keys (d->local_crypto, d->remote_crypto));
      }
    }
    watch_call (f->incoming, &bw);
    g_assert_true (sdes_call_hangup (call, NULL));
    while (!w.ended || !bw.ended)
      g_main_context_iteration (f->ctx, TRUE);
    g_assert_cmpuint (bw.end_status, ==, 200);
    unwatch_call (f->incoming, &bw);
  }
  unwatch_call (call, &w);
}

static void
test_policy_table (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (policy_cases); i++)
    run_policy_case (f, &policy_cases[i]);
}

/* Cisco Table 44: SRTP mandatory + insecure signaling + no fallback: the
 * call fails before any INVITE is sent. The "peer" is a plain UDP socket
 * that must receive nothing. */
static void
test_table44_no_invite (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree gchar *target = NULL;
  gchar buf[2048];
  SdesCall *call;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  bound = g_socket_get_local_address (sock, &error);
  target = g_strdup_printf ("sip:peer@127.0.0.1:%u;transport=udp",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_set_blocking (sock, FALSE);

  g_object_set (f->alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY,
                "require-secure-signaling", TRUE, NULL);
  call = sdes_agent_call (f->alice, target, NULL, &error);
  g_assert_null (call);
  g_assert_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_INSECURE_SIGNALING);

  /* Let the stack run; then the socket must be empty. */
  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_clear_error (&error);
  g_assert_cmpint (g_socket_receive (sock, buf, sizeof buf, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

/* Raw UDP INVITE from a GSocket; returns the final response text. */
static gchar *
raw_invite (Fixture *f, GSocket *sock, const gchar *sdp, const gchar *call_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (sock, &error);
  guint lport = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  const gchar *contact = sdes_agent_get_contact (f->bob);
  guint bport = 0;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) dest = NULL;
  g_autofree gchar *msg = NULL;
  gchar buf[4096];

  g_assert_cmpint (sscanf (contact, "sip:127.0.0.1:%u", &bport), ==, 1);
  dest = g_inet_socket_address_new (lo, bport);
  msg = g_strdup_printf (
      "INVITE sip:bob@127.0.0.1:%u SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%s\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:raw@127.0.0.1:%u>;tag=raw1\r\n"
      "To: <sip:bob@127.0.0.1:%u>\r\n"
      "Call-ID: %s\r\n"
      "CSeq: 1 INVITE\r\n"
      "Contact: <sip:raw@127.0.0.1:%u>\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Length: %zu\r\n\r\n%s",
      bport, lport, call_id, lport, bport, call_id, lport, strlen (sdp), sdp);
  g_assert_cmpint (g_socket_send_to (sock, dest, msg, strlen (msg), NULL, &error), ==,
                   (gssize) strlen (msg));

  for (;;) {
    gssize n;

    g_clear_error (&error);
    n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, &error);
    if (n < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_main_context_iteration (f->ctx, TRUE);
      continue;
    }
    buf[n] = '\0';
    if (g_str_has_prefix (buf, "SIP/2.0 1"))
      continue;   /* 100 Trying */
    return g_strdup (buf);
  }
}

static gboolean
poll_again (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Bad SDP from the network gets a proper SIP error with a Warning header
 * (RFC 3261 §20.43, RFC 3264 §6: 488 for an offer that cannot be
 * answered) and the agent keeps serving. */
static void
test_hostile_sdp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  GSource *poll = g_timeout_source_new (10);   /* wake the loop to poll the raw socket */
  g_autoptr(SdesCall) call = NULL;
  CallWatch w = { 0 };
  const gchar *bad_crypto =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 42000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!notbase64!!\r\n";
  const gchar *garbage = "this is not SDP\r\n";

  g_source_set_callback (poll, poll_again, NULL, NULL);
  g_source_attach (poll, f->ctx);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  g_socket_set_blocking (sock, FALSE);
  g_object_set (f->bob, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);

  {
    g_autofree gchar *resp = raw_invite (f, sock, bad_crypto, "hostile-1");
    g_test_message ("response to malformed a=crypto: %.*s", (int) strcspn (resp, "\r"), resp);
    g_assert_true (g_str_has_prefix (resp, "SIP/2.0 488 "));
    /* RFC 3261 §20.43 warn-code 306, warn-agent = our host. */
    g_assert_nonnull (strstr (resp, "\r\nWarning: 306 127.0.0.1 \"Attribute not understood"));
  }
  {
    g_autofree gchar *resp = raw_invite (f, sock, garbage, "hostile-2");
    g_test_message ("response to garbage SDP: %.*s", (int) strcspn (resp, "\r"), resp);
    /* RFC 3261 §21.4.1: a malformed body is a 400. */
    g_assert_true (g_str_has_prefix (resp, "SIP/2.0 400 "));
    g_assert_nonnull (strstr (resp, "\r\nWarning: 399 127.0.0.1 \"malformed SDP: "));
  }
  g_assert_cmpuint (f->incoming_count, ==, 0);

  /* ... and a good call still works. */
  g_object_set (f->alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  call = sdes_agent_call (f->alice, f->bob_uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  while (!w.ready && !w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_assert_true (w.ready);
  g_assert_true (sdes_call_is_secure (call));
  unwatch_call (call, &w);
  g_source_destroy (poll);
  g_source_unref (poll);
}

static gchar *
direction_of (const gchar *sdp)
{
  const gchar *dirs[] = { "a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv", NULL };
  for (guint i = 0; dirs[i]; i++)
    if (strstr (sdp, dirs[i]) != NULL)
      return g_strdup (dirs[i]);
  return g_strdup ("a=sendrecv");
}

/* Hold and resume by re-INVITE in both directions (Cisco "Call Hold"): the
 * re-offer keeps SRTP and the engine's keep/rekey rule applies (same
 * address/port: same key, Cisco "Rekeying Rules"). */
static void
test_hold_resume (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  CallWatch w = { 0 }, bw = { 0 };

  g_object_set (f->alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  g_object_set (f->bob, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL, NULL);
  call = sdes_agent_call (f->alice, f->bob_uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  while (!w.ready && !w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_assert_true (w.ready);
  g_assert_nonnull (f->incoming);
  watch_call (f->incoming, &bw);
  while (sdes_call_get_state (f->incoming) != SDES_CALL_STATE_ACTIVE)
    g_main_context_iteration (f->ctx, TRUE);

  {
    SdesMediaDescription *d0 = g_ptr_array_index (w.media, 0);
    g_autoptr(SdesCryptoAttr) key0 = sdes_crypto_attr_copy (d0->local_crypto);
    struct { SdesCall *who; CallWatch *ww; SdesCall *peer; gboolean hold; const gchar *sent; const gchar *answer; } steps[] = {
      { call, &w, f->incoming, TRUE, "a=sendonly", "a=recvonly" },
      { call, &w, f->incoming, FALSE, "a=sendrecv", "a=sendrecv" },
      { f->incoming, &bw, call, TRUE, "a=sendonly", "a=recvonly" },
      { f->incoming, &bw, call, FALSE, "a=sendrecv", "a=sendrecv" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
      guint before = steps[i].ww->updates;
      g_autofree gchar *sent = NULL, *answer = NULL, *sd = NULL, *ad = NULL;

      if (steps[i].hold)
        g_assert_true (sdes_call_hold (steps[i].who, &error));
      else
        g_assert_true (sdes_call_resume (steps[i].who, &error));
      g_assert_no_error (error);
      while (steps[i].ww->updates == before)
        g_main_context_iteration (f->ctx, TRUE);
      sent = call_sdp (steps[i].who, "local-sdp");
      answer = call_sdp (steps[i].peer, "local-sdp");
      sd = direction_of (sent);
      ad = direction_of (answer);
      g_assert_cmpstr (sd, ==, steps[i].sent);
      g_assert_cmpstr (ad, ==, steps[i].answer);
      /* pjsip#1856: a re-offer carries only the active crypto. */
      g_assert_cmpuint (count_crypto (sent), ==, 1);
      g_assert_cmpuint (count_crypto (answer), ==, 1);
      g_assert_true (sdes_call_is_secure (steps[i].who));
    }
    /* Same address and port throughout: alice's send key never changed. */
    {
      SdesMediaDescription *d = g_ptr_array_index (w.media, 0);
      g_assert_true (sdes_crypto_attr_same_keys (key0, d->local_crypto));
    }
  }
  unwatch_call (f->incoming, &bw);
  unwatch_call (call, &w);
}

/* RFC 3711 §3.3.1: a rekey on the same SSRC and address keeps the ROC. */
static void
assert_rekeyed_media (GPtrArray *media, const SdesCryptoAttr *old_local,
                      const SdesCryptoAttr *old_remote)
{
  SdesMediaDescription *d;

  g_assert_nonnull (media);
  g_assert_cmpuint (media->len, ==, 1);
  d = g_ptr_array_index (media, 0);
  g_assert_true (d->active && d->secure);
  g_assert_true (d->local_key_changed);
  g_assert_true (d->remote_key_changed);
  g_assert_false (d->local_roc_reset);
  g_assert_false (d->remote_roc_reset);
  g_assert_cmpuint (d->local_crypto->tag, ==, old_local->tag);
  g_assert_cmpint (d->local_crypto->suite, ==, old_local->suite);
  g_assert_false (sdes_crypto_attr_same_keys (d->local_crypto, old_local));
  g_assert_false (sdes_crypto_attr_same_keys (d->remote_crypto, old_remote));
  g_assert_cmpint (d->direction, ==, SDES_DIRECTION_SENDRECV);
}

/* sdes_call_rekey() (RFC 4568 §7.1.4): one re-INVITE, new keys both ways,
 * media-updated on both sides with matching keys; a second rekey from the
 * callee works the same way. */
static void
test_rekey (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  CallWatch w = { 0 }, bw = { 0 };
  struct { SdesCall *who; } steps[2];

  g_object_set (f->alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  g_object_set (f->bob, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  call = sdes_agent_call (f->alice, f->bob_uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  while (!w.ready && !w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_assert_true (w.ready);
  g_assert_nonnull (f->incoming);
  watch_call (f->incoming, &bw);
  while (sdes_call_get_state (f->incoming) != SDES_CALL_STATE_ACTIVE)
    g_main_context_iteration (f->ctx, TRUE);
  /* bob's media-ready may have come before the watch: start from his
   * session either way */
  g_clear_pointer (&bw.media, g_ptr_array_unref);
  bw.media = sdes_session_get_media (sdes_call_get_session (f->incoming), NULL);
  g_assert_nonnull (bw.media);
  steps[0].who = call;
  steps[1].who = f->incoming;

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
    SdesMediaDescription *a = g_ptr_array_index (w.media, 0);
    SdesMediaDescription *b = g_ptr_array_index (bw.media, 0);
    g_autoptr(SdesCryptoAttr) a_local = sdes_crypto_attr_copy (a->local_crypto);
    g_autoptr(SdesCryptoAttr) a_remote = sdes_crypto_attr_copy (a->remote_crypto);
    g_autoptr(SdesCryptoAttr) b_local = sdes_crypto_attr_copy (b->local_crypto);
    g_autoptr(SdesCryptoAttr) b_remote = sdes_crypto_attr_copy (b->remote_crypto);
    guint before_a = w.updates, before_b = bw.updates;
    g_autofree gchar *sent = NULL, *answer = NULL;

    g_assert_true (sdes_call_rekey (steps[i].who, &error));
    g_assert_no_error (error);
    /* one re-INVITE at a time */
    g_assert_false (sdes_call_rekey (steps[i].who, &error));
    g_assert_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE);
    g_clear_error (&error);
    while (w.updates == before_a || bw.updates == before_b)
      g_main_context_iteration (f->ctx, TRUE);
    g_assert_cmpuint (w.updates, ==, before_a + 1);
    g_assert_cmpuint (bw.updates, ==, before_b + 1);
    assert_rekeyed_media (w.media, a_local, a_remote);
    assert_rekeyed_media (bw.media, b_local, b_remote);
    a = g_ptr_array_index (w.media, 0);
    b = g_ptr_array_index (bw.media, 0);
    g_assert_true (sdes_crypto_attr_same_keys (a->local_crypto, b->remote_crypto));
    g_assert_true (sdes_crypto_attr_same_keys (a->remote_crypto, b->local_crypto));
    sent = call_sdp (steps[i].who, "local-sdp");
    answer = call_sdp (steps[i].who == call ? f->incoming : call, "local-sdp");
    g_assert_cmpuint (count_crypto (sent), ==, 1);
    g_assert_cmpuint (count_crypto (answer), ==, 1);
    g_assert_true (sdes_call_is_secure (call));
    g_assert_cmpint (sdes_call_get_state (call), ==, SDES_CALL_STATE_ACTIVE);
  }
  unwatch_call (f->incoming, &bw);
  unwatch_call (call, &w);
}

/* Sofia at full verbosity (TPORT_LOG prints whole SIP messages with their
 * SDP) during a real SRTP call: no key may reach GLib logging. */
static void
test_logs_redacted (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCall) call = NULL;
  g_autofree gchar *log = NULL;
  CallWatch w = { 0 };

  g_mutex_lock (&captured_lock);
  captured_log = g_string_new (NULL);
  g_mutex_unlock (&captured_lock);

  g_object_set (f->alice, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  g_object_set (f->bob, "srtp-policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  call = sdes_agent_call (f->alice, f->bob_uri, NULL, &error);
  g_assert_no_error (error);
  watch_call (call, &w);
  while (!w.ready && !w.ended)
    g_main_context_iteration (f->ctx, TRUE);
  g_assert_true (w.ready);

  g_mutex_lock (&captured_lock);
  log = g_string_free (g_steal_pointer (&captured_log), FALSE);
  g_mutex_unlock (&captured_lock);

  /* The messages were logged at all (else the test proves nothing) ... */
  g_assert_nonnull (strstr (log, "a=crypto:"));
  g_assert_nonnull (strstr (log, "INVITE sip:"));
  /* ... and neither key appears, in any form. */
  {
    SdesMediaDescription *d = g_ptr_array_index (w.media, 0);
    SdesCryptoAttr *keys[] = { d->local_crypto, d->remote_crypto };

    for (guint k = 0; k < G_N_ELEMENTS (keys); k++) {
      g_autofree gchar *full = sdes_crypto_attr_format (keys[k]);
      const gchar *inl = strstr (full, "inline:");
      g_autofree gchar *b64 = g_strndup (inl + 7, strcspn (inl + 7, "|; "));
      g_autofree gchar *b64_head = g_strndup (b64, 16);

      g_assert_cmpuint (strlen (b64), >=, 40);
      g_assert_null (strstr (log, b64));
      g_assert_null (strstr (log, b64_head));
    }
  }
  unwatch_call (call, &w);
}

static void
fixture_teardown_verbose (Fixture *f, gconstpointer data)
{
  fixture_teardown (f, data);
  g_unsetenv ("TPORT_LOG");
  su_log_set_level (nua_log, 0);
  su_log_set_level (nta_log, 0);
  su_log_set_level (tport_log, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add ("/agent/shutdown/completes-and-refuses-calls", Fixture, NULL,
              fixture_setup_udp, test_shutdown_completes, fixture_teardown);
  g_test_add ("/agent/policy/table46-3x3-udp", Fixture, NULL,
              fixture_setup_udp, test_policy_table, fixture_teardown);
  g_test_add ("/agent/policy/table46-3x3-tcp", Fixture, NULL,
              fixture_setup_tcp, test_policy_table, fixture_teardown);
  g_test_add ("/agent/policy/table44-mandatory-insecure-sends-no-invite", Fixture, NULL,
              fixture_setup_udp, test_table44_no_invite, fixture_teardown);
  g_test_add ("/agent/hostile/bad-sdp-gets-488-warning-then-call-works", Fixture, NULL,
              fixture_setup_udp, test_hostile_sdp, fixture_teardown);
  g_test_add ("/agent/hold/both-directions-keep-keys", Fixture, NULL,
              fixture_setup_udp, test_hold_resume, fixture_teardown);
  g_test_add ("/agent/rekey/new-keys-both-ways-roc-continues", Fixture, NULL,
              fixture_setup_udp, test_rekey, fixture_teardown);
  g_test_add ("/agent/log/sofia-tport-log-has-no-keys", Fixture, NULL,
              fixture_setup_verbose, test_logs_redacted, fixture_teardown_verbose);

  return g_test_run ();
}
