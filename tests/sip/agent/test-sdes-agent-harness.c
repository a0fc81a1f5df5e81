/* srtpsdes — harness of the SdesAgent/SdesCall tests that run SIPp
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <glib/gstdio.h>

#include "test-sdes-agent-harness.h"

/* ------------------------------------------------------------------------- */
/* Harness                                                                    */
/* ------------------------------------------------------------------------- */



static gboolean
watchdog_fired (gpointer data)
{
  g_error ("watchdog: test did not finish within %d s", WATCHDOG_SECONDS);
  return G_SOURCE_REMOVE;
}

void
wait_for (Fixture *f, const gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (f->ctx, TRUE);
}

void
set_flag (gpointer instance, gpointer data)
{
  *(gboolean *) data = TRUE;
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->watchdog = g_timeout_source_new_seconds (WATCHDOG_SECONDS);
  g_source_set_callback (f->watchdog, watchdog_fired, NULL, NULL);
  g_source_attach (f->watchdog, f->ctx);
  f->agents = g_ptr_array_new_with_free_func (g_object_unref);
  f->tmpdir = g_dir_make_tmp ("srtpsdes-agent-test-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);
    g_unlink (child);
  }
  g_rmdir (path);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->agents->len; i++) {
    SdesAgent *agent = g_ptr_array_index (f->agents, i);
    gboolean done = FALSE;

    if (sdes_agent_is_shut_down (agent))
      continue;
    g_signal_connect (agent, "shutdown-complete", G_CALLBACK (set_flag), &done);
    sdes_agent_shutdown (agent);
    wait_for (f, &done);
  }
  g_ptr_array_unref (f->agents);
  g_source_destroy (f->watchdog);
  g_source_unref (f->watchdog);
  g_main_context_pop_thread_default (f->ctx);
  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_main_context_unref (f->ctx);
  remove_tree (f->tmpdir);
  g_free (f->tmpdir);
}

SdesLocalMedia *
make_local (guint port)
{
  SdesLocalMedia *local = sdes_local_media_new ("127.0.0.1");
  guint s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, port);
  sdes_local_media_add_codec (local, s, 0, "PCMU", 8000, 1, NULL);
  return local;
}

/* A new agent bound to @binds (NULL-terminated), not started yet. */
SdesAgent *
new_agent (Fixture *f, const gchar *const *binds, guint media_port)
{
  g_autoptr(SdesLocalMedia) local = make_local (media_port);
  SdesAgent *agent = sdes_agent_new (f->ctx);

  g_object_set (agent, "bind-uris", binds, "local-media", local,
                "user-agent", "srtpsdes-test",
                /* The UDP/TCP matrix tests negotiate SRTP over plain
                 * signaling; TLS tests turn Table 44 back on. */
                "require-secure-signaling", FALSE, NULL);
  g_ptr_array_add (f->agents, agent);
  return agent;
}

void
start_agent (Fixture *f, SdesAgent *agent)
{
  g_autoptr(GError) error = NULL;
  gboolean ready = FALSE;
  gulong id = g_signal_connect (agent, "ready", G_CALLBACK (set_flag), &ready);

  g_assert_true (sdes_agent_start (agent, &error));
  g_assert_no_error (error);
  wait_for (f, &ready);
  g_signal_handler_disconnect (agent, id);
  g_assert_nonnull (sdes_agent_get_contact (agent));
}

static void
on_peer_incoming (SdesAgent *agent, SdesCall *call, Peer *p)
{
  g_clear_object (&p->incoming);
  p->incoming = g_object_ref (call);
  p->incoming_count++;
}

/* "sip:127.0.0.1:5060" + "bob" -> "sip:bob@127.0.0.1:5060" (same for sips:). */
gchar *
user_uri (const gchar *contact, const gchar *user)
{
  const gchar *colon = strchr (contact, ':');

  g_assert_nonnull (colon);
  return g_strdup_printf ("%.*s:%s@%s", (int) (colon - contact), contact, user, colon + 1);
}

/* Starts @agent as an auto-answering callee named @user. */
void
peer_init (Fixture *f, Peer *p, SdesAgent *agent, const gchar *user)
{
  p->agent = agent;
  g_object_set (agent, "auto-answer", TRUE, NULL);
  g_signal_connect (agent, "incoming-call", G_CALLBACK (on_peer_incoming), p);
  start_agent (f, agent);
  p->uri = user_uri (sdes_agent_get_contact (agent), user);
}

void
peer_clear (Peer *p)
{
  if (p->agent != NULL)
    g_signal_handlers_disconnect_by_data (p->agent, p);
  g_clear_object (&p->incoming);
  g_clear_pointer (&p->uri, g_free);
}

SdesAgent *
new_udp_agent (Fixture *f, guint media_port)
{
  const gchar *binds[] = { "sip:127.0.0.1:0;transport=udp", NULL };
  return new_agent (f, binds, media_port);
}

/* ------------------------------------------------------------------------- */
/* Calls                                                                      */
/* ------------------------------------------------------------------------- */


static void
on_media_ready (SdesCall *call, GPtrArray *media, CallWatch *w)
{
  w->ready = TRUE;
  g_clear_pointer (&w->media, g_ptr_array_unref);
  w->media = g_ptr_array_ref (media);
}

static void
on_early_media (SdesCall *call, const gchar *tag, GPtrArray *media, CallWatch *w)
{
  g_assert_cmpuint (media->len, ==, 1);
  g_ptr_array_add (w->early, sdes_media_description_ref (g_ptr_array_index (media, 0)));
  g_ptr_array_add (w->early_tags, g_strdup (tag));
}

static void
on_released (SdesCall *call, const gchar *tag, CallWatch *w)
{
  g_ptr_array_add (w->released_tags, g_strdup (tag));
}

static void
on_redirected (SdesCall *call, const gchar *target, CallWatch *w)
{
  g_ptr_array_add (w->redirects, g_strdup (target));
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, CallWatch *w)
{
  w->ended = TRUE;
  w->end_status = status;
  w->end_why = sdes_call_get_end_reason (call);
  g_free (w->end_reason);
  w->end_reason = g_strdup (reason);
}

/* "ack-timeout" for SDES_CALL_END_REASON_ACK_TIMEOUT (static string). */
const gchar *
end_reason_nick (SdesCallEndReason why)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SDES_TYPE_CALL_END_REASON);
  GEnumValue *v = g_enum_get_value (klass, why);

  return v ? v->value_nick : "?";
}

void
watch_call (SdesCall *call, CallWatch *w)
{
  w->early = g_ptr_array_new_with_free_func ((GDestroyNotify) sdes_media_description_unref);
  w->early_tags = g_ptr_array_new_with_free_func (g_free);
  w->released_tags = g_ptr_array_new_with_free_func (g_free);
  w->redirects = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (call, "media-ready", G_CALLBACK (on_media_ready), w);
  g_signal_connect (call, "early-media", G_CALLBACK (on_early_media), w);
  g_signal_connect (call, "early-media-released", G_CALLBACK (on_released), w);
  g_signal_connect (call, "redirected", G_CALLBACK (on_redirected), w);
  g_signal_connect (call, "ended", G_CALLBACK (on_ended), w);
}

void
unwatch_call (SdesCall *call, CallWatch *w)
{
  g_signal_handlers_disconnect_by_data (call, w);
  g_clear_pointer (&w->media, g_ptr_array_unref);
  g_clear_pointer (&w->early, g_ptr_array_unref);
  g_clear_pointer (&w->early_tags, g_ptr_array_unref);
  g_clear_pointer (&w->released_tags, g_ptr_array_unref);
  g_clear_pointer (&w->redirects, g_ptr_array_unref);
  g_clear_pointer (&w->end_reason, g_free);
}

void
wait_ready_or_ended (Fixture *f, CallWatch *w)
{
  while (!w->ready && !w->ended)
    g_main_context_iteration (f->ctx, TRUE);
}

void
hangup_and_wait (Fixture *f, SdesCall *call, CallWatch *w)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sdes_call_hangup (call, &error));
  g_assert_no_error (error);
  while (!w->ended)
    g_main_context_iteration (f->ctx, TRUE);
}

/* A fresh AES_CM_128_HMAC_SHA1_80 key, tag 1: the base64 inline value (for
 * SIPp's -key) and the attribute to compare with. */
gchar *
make_test_key (SdesCryptoAttr **attr_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr =
      sdes_crypto_attr_generate (SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1, 0, 0, 0, &error);
  g_autofree gchar *text = NULL;
  const gchar *inl;

  g_assert_no_error (error);
  text = sdes_crypto_attr_format (attr);
  inl = strstr (text, "inline:");
  g_assert_nonnull (inl);
  *attr_out = g_steal_pointer (&attr);
  return g_strndup (inl + 7, strcspn (inl + 7, "| "));
}

/* ------------------------------------------------------------------------- */
/* SIPp                                                                       */
/* ------------------------------------------------------------------------- */

guint
free_udp_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}


static void
sipp_exited (GObject *source, GAsyncResult *res, gpointer data)
{
  Sipp *s = data;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, &error);
  g_assert_no_error (error);
  s->exited = TRUE;
}

/* TRUE once some socket is bound to UDP 127.0.0.1:@port (Linux
 * /proc/net/udp, "0100007F:PORT" in hex): looking does not disturb SIPp's
 * own bind, as a test bind of ours would. */
static gboolean
udp_port_bound (guint port)
{
  g_autofree gchar *table = NULL;
  g_autofree gchar *needle = g_strdup_printf (" 0100007F:%04X ", port);

  if (!g_file_get_contents ("/proc/net/udp", &table, NULL, NULL))
    return TRUE;   /* cannot tell: rely on SIP retransmissions */
  return strstr (table, needle) != NULL;
}

static gboolean
tick (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* SIPp as a UAS must listen before we send the INVITE: an ICMP port
 * unreachable would fail the call at once (503). SIPp has no readiness
 * signal, so its port is looked up every 20 ms (bounded by the watchdog). */
static void
sipp_wait_listening (Fixture *f, Sipp *s)
{
  while (!udp_port_bound (s->port)) {
    gboolean fired = FALSE;
    GSource *t = g_timeout_source_new (20);

    g_assert_false (s->exited);
    g_source_set_callback (t, tick, &fired, NULL);
    g_source_attach (t, f->ctx);
    wait_for (f, &fired);
    g_source_destroy (t);
    g_source_unref (t);
  }
}

/* Starts SIPp with @scenario on 127.0.0.1 (UDP, one call, bounded by
 * -timeout); @remote is "host:port" for a UAC scenario, NULL for a UAS.
 * @keys are -key name/value pairs. Returns FALSE (test skipped) without
 * sipp. */
gboolean
sipp_start (Fixture *f, Sipp *s, const gchar *scenario, const gchar *remote,
            const gchar *const *keys)
{
  return sipp_start_timeout (f, s, scenario, remote, keys, "20s");
}

/* sipp_start() with SIPp's global -timeout (e.g. "45s" for a scenario that
 * waits for a stack timer). */
gboolean
sipp_start_timeout (Fixture *f, Sipp *s, const gchar *scenario, const gchar *remote,
                    const gchar *const *keys, const gchar *timeout)
{
  g_autofree gchar *sipp = g_find_program_in_path ("sipp");
  g_autofree gchar *path = g_build_filename (SIPP_SCENARIO_DIR, scenario, NULL);
  g_autofree gchar *port = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  if (sipp == NULL) {
    g_test_skip ("sipp not installed");
    return FALSE;
  }
  s->port = free_udp_port ();
  port = g_strdup_printf ("%u", s->port);
  g_ptr_array_add (argv, g_strdup (sipp));
  if (remote != NULL)
    g_ptr_array_add (argv, g_strdup (remote));
  {
    const gchar *fixed[] = { "-sf", path, "-i", "127.0.0.1", "-p", port, "-t", "u1",
                             "-m", "1", "-nostdin", "-timeout", timeout, "-timeout_error",
                             "-max_recv_loops", "1000", NULL };
    for (guint i = 0; fixed[i] != NULL; i++)
      g_ptr_array_add (argv, g_strdup (fixed[i]));
  }
  for (guint i = 0; keys != NULL && keys[i] != NULL; i += 2) {
    g_ptr_array_add (argv, g_strdup ("-key"));
    g_ptr_array_add (argv, g_strdup (keys[i]));
    g_ptr_array_add (argv, g_strdup (keys[i + 1]));
  }
  g_ptr_array_add (argv, NULL);

  /* SRTPSDES_SIPP_TRACE=<dir>: SIPp writes its message and error traces
   * there (debugging aid; the traces contain keys). */
  if (g_getenv ("SRTPSDES_SIPP_TRACE") != NULL) {
    g_ptr_array_insert (argv, argv->len - 1, g_strdup ("-trace_msg"));
    g_ptr_array_insert (argv, argv->len - 1, g_strdup ("-trace_err"));
  }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_cwd (launcher, g_getenv ("SRTPSDES_SIPP_TRACE") != NULL
                                           ? g_getenv ("SRTPSDES_SIPP_TRACE") : f->tmpdir);
  s->proc = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (s->proc, NULL, sipp_exited, s);
  if (remote == NULL)
    sipp_wait_listening (f, s);
  return TRUE;
}

/* Waits for SIPp to end; it exits 0 only when its one call followed the
 * scenario (every expected request, header check and response). */
void
sipp_finish (Fixture *f, Sipp *s)
{
  wait_for (f, &s->exited);
  g_assert_true (g_subprocess_get_if_exited (s->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (s->proc), ==, 0);
  g_clear_object (&s->proc);
}

